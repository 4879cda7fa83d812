const http = require('http');
const ms = require('ms');

const port = process.env.PORT || 8080;
const started = Date.now();

http
  .createServer((req, res) => {
    if (req.url === '/hello') {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end(`hello, up for less than ${ms(60 * 1000, { long: true })}\n`);
      return;
    }
    res.writeHead(404);
    res.end(`not found (up ${Date.now() - started} ms)\n`);
  })
  .listen(port, () => console.log(`greeter on ${port}`));
