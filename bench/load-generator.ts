/**
 * The load generator of the HTTP bench rows, run in a process of its own so no server shares
 * its event loop with the senders (`tsx bench/load-generator.ts`, options as JSON in BENCH_LOAD).
 * Sends signed generic-profile deliveries (~0.5 KiB) over keep-alive connections, `concurrency`
 * at a time, and prints one JSON line: latencies of first deliveries and of repeats, apart.
 *
 * Modes: `unique` (every event id new); `mixed` (30% repeat an earlier id: half of those the
 * id sent just before, usually still in flight, half one from further back); `repeat` (every
 * delivery repeats an id a `unique` run with the same tag already delivered).
 */
import { createHmac } from 'node:crypto';
import http from 'node:http';

export interface LoadOptions {
  url: string;
  secret: string;
  count: number;
  concurrency: number;
  tag: string;
  mode: 'unique' | 'mixed' | 'repeat';
}

export interface LatencySummary {
  count: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
}

export interface LoadResult {
  seconds: number;
  failures: number;
  statuses: Record<string, number>;
  all: LatencySummary;
  first: LatencySummary;
  duplicate: LatencySummary;
}

/** The event id of delivery `i`, and whether it repeats an earlier one. */
export function plannedEvent(
  options: Pick<LoadOptions, 'mode' | 'tag'>,
  i: number,
): { eventId: string; repeat: boolean } {
  const id = (n: number) => `evt-${options.tag}-${n}`;
  if (options.mode === 'unique') return { eventId: id(i), repeat: false };
  if (options.mode === 'repeat') return { eventId: id(i), repeat: true };
  const slot = i % 10;
  if (i < 10 || (slot !== 3 && slot !== 6 && slot !== 9)) return { eventId: id(i), repeat: false };
  // Concurrent with its original (sent one or two deliveries earlier), or from well before.
  const earlier = slot === 6 ? i - 1 - ((i * 7919) % Math.min(i, 500)) : i - (slot === 3 ? 1 : 2);
  const original = Math.max(0, earlier);
  const first = original % 10 === 3 || original % 10 === 6 || original % 10 === 9 ? original - 1 : original;
  return { eventId: id(Math.max(0, first)), repeat: true };
}

function summarize(latencies: number[], seconds: number): LatencySummary {
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
  return { count: sorted.length, perSecond: sorted.length / seconds, p50Ms: at(50), p99Ms: at(99) };
}

export async function generateLoad(options: LoadOptions): Promise<LoadResult> {
  const target = new URL(options.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.concurrency });
  const padding = 'x'.repeat(512);
  const send = (eventId: string) =>
    new Promise<number>((resolve) => {
      const body = JSON.stringify({ eventId, padding });
      const ts = Math.floor(Date.now() / 1000);
      const signature = createHmac('sha256', options.secret).update(`${ts}.${body}`).digest('hex');
      const req = http.request(
        {
          host: target.hostname,
          port: target.port,
          path: target.pathname,
          method: 'POST',
          agent,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            'x-timestamp': String(ts),
            'x-event-id': eventId,
            'x-signature': `sha256=${signature}`,
          },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', () => resolve(0));
      req.end(body);
    });

  await send(`warm-${options.tag}-${options.mode}`);
  const all: number[] = [];
  const first: number[] = [];
  const duplicate: number[] = [];
  const statuses: Record<string, number> = {};
  let failures = 0;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      while (next < options.count) {
        const { eventId, repeat } = plannedEvent(options, next++);
        const t0 = performance.now();
        const status = await send(eventId);
        const ms = performance.now() - t0;
        statuses[status] = (statuses[status] ?? 0) + 1;
        if (status !== 202 && status !== 200) failures++;
        all.push(ms);
        (repeat ? duplicate : first).push(ms);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  return {
    seconds,
    failures,
    statuses,
    all: summarize(all, seconds),
    first: summarize(first, seconds),
    duplicate: summarize(duplicate, seconds),
  };
}

if (process.env.BENCH_LOAD) {
  generateLoad(JSON.parse(process.env.BENCH_LOAD) as LoadOptions).then(
    (result) => process.stdout.write(`${JSON.stringify(result)}\n`),
    (err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
}
