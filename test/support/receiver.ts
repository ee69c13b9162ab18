/** A real HTTP receiver on 127.0.0.1 for outbound notification tests: records every request. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  /** The request path, e.g. `/hooks`. */
  path: string;
  headers: http.IncomingHttpHeaders;
  rawBody: string;
  body: any;
  at: number;
}

export interface ReceiverAnswer {
  status: number;
  body?: string;
  headers?: Record<string, string>;
}

export interface TestReceiver {
  url: string;
  port: number;
  requests: ReceivedRequest[];
  /** What to answer; default 200 `ok`. A promise holds the request open until it settles. */
  respond: (req: ReceivedRequest) => ReceiverAnswer | Promise<ReceiverAnswer>;
  /** Resolves once `predicate` holds over the requests (polls), or rejects after `timeoutMs`. */
  waitFor(predicate: (requests: ReceivedRequest[]) => boolean, timeoutMs?: number): Promise<void>;
  /** Stops listening (the port stays reserved for `up`). */
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

export async function startReceiver(port = 0): Promise<TestReceiver> {
  let server: http.Server | undefined;
  const receiver: TestReceiver = {
    url: '',
    port,
    requests: [],
    respond: () => ({ status: 200, body: 'ok' }),
    async waitFor(predicate, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(receiver.requests)) {
        if (Date.now() > deadline)
          throw new Error(
            `receiver: condition not met within ${timeoutMs} ms; got ${receiver.requests.map((r) => r.body?.type).join(', ')}`,
          );
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async down() {
      const s = server;
      server = undefined;
      if (!s) return;
      s.closeAllConnections();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    },
    async up() {
      server = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          const rawBody = Buffer.concat(chunks).toString('utf8');
          let body: unknown;
          try {
            body = JSON.parse(rawBody);
          } catch {
            body = undefined;
          }
          const record = { path: req.url ?? '/', headers: req.headers, rawBody, body, at: Date.now() };
          receiver.requests.push(record);
          res.on('error', () => undefined); // a held request whose sender went away
          void Promise.resolve(receiver.respond(record)).then((answer) => {
            if (res.destroyed) return;
            res.writeHead(answer.status, { 'content-type': 'text/plain', ...answer.headers });
            res.end(answer.body ?? '');
          });
        });
      });
      await new Promise<void>((resolve) => server!.listen(receiver.port, '127.0.0.1', () => resolve()));
      receiver.port = (server.address() as AddressInfo).port;
      receiver.url = `http://127.0.0.1:${receiver.port}/hooks`;
    },
    close: () => receiver.down(),
  };
  await receiver.up();
  return receiver;
}
