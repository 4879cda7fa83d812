const fs = require('fs');
const http = require('http');
const path = require('path');

// every request is appended to access.log; errors go to logs/error.log
const errors = fs.createWriteStream(path.join(__dirname, 'logs', 'error.log'), { flags: 'a' });

http.createServer((req, res) => {
  fs.appendFileSync('access.log', `${req.method} ${req.url}\n`);
  res.end('ok\n');
}).on('error', (e) => errors.write(String(e))).listen(3000);
