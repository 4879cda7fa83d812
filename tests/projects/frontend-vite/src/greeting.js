export const greeting = (name) => `Hello from the ${name}`;
