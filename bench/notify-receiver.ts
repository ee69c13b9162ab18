/**
 * The notification bench's receiver, in a process of its own so its HTTP work is not counted as
 * the worker's CPU nor run on the worker's event loop (a real receiver is on another machine).
 * Answers every POST 204 and counts it; `GET /count` tells the count. Prints `{"url": …}` once listening.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

let received = 0;
const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/count') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ received }));
    return;
  }
  req.resume();
  req.on('end', () => {
    received++;
    res.writeHead(204).end();
  });
});
server.keepAliveTimeout = 5_000;
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${port}/hooks` })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
