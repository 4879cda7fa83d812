import { defineConfig } from 'vite';

// the dev server must listen on every interface inside a container
export default defineConfig({
  server: { host: '0.0.0.0', port: 5173, strictPort: true },
});
