/** Listens with the app, with timeouts that suit webhook senders, and closes gracefully. */
import type { Server } from 'node:http';
import type { Express } from 'express';

export interface RunningServer {
  server: Server;
  port: number;
  url: string;
  close(): Promise<void>;
}

/**
 * `keepAliveTimeoutMs`: how long an idle keep-alive connection stays open (default 5 s); behind a
 * load balancer that reuses connections, set it above the balancer's idle timeout, so the
 * ingress never closes a connection the balancer is about to send on (docs/deployment.md).
 */
export function listen(
  app: Express,
  port: number,
  host = '127.0.0.1',
  options: { keepAliveTimeoutMs?: number } = {},
): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host);
    // Providers give up after 3–30 s; a slow client must not hold a socket for ever.
    server.requestTimeout = 30_000;
    server.headersTimeout = 15_000;
    server.keepAliveTimeout = options.keepAliveTimeoutMs ?? 5_000;
    server.once('error', reject);
    server.once('listening', () => {
      const address = server.address();
      const actualPort = typeof address === 'object' && address ? address.port : port;
      resolve({
        server,
        port: actualPort,
        url: `http://${host.includes(':') ? `[${host}]` : host}:${actualPort}`,
        close: async () => {
          const closed = new Promise<void>((done) => server.close(() => done()));
          server.closeIdleConnections();
          // Deliveries may wait on Temporal (start + describe) before they answer; let them finish.
          const drain = app.locals.drainDeliveries as ((timeoutMs: number) => Promise<void>) | undefined;
          await drain?.(20_000);
          server.closeAllConnections();
          await closed;
        },
      });
    });
  });
}
