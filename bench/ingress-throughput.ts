/**
 * Deliveries per second through the ingress (verify + dedup + start) beside a bare
 * `client.workflow.start` loop and the hand-written glue it replaces, against the same Temporal
 * dev server, same concurrency, same run.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { processCpuMs, type CpuCounters } from './cpu-usage';
import type { BenchServerOptions } from './http-servers';
import type { LoadOptions, LoadResult } from './load-generator';

const SECRET = 'bench-secret';

export interface ThroughputResult {
  label: string;
  count: number;
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  failures: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

/** Runs `task(i)` `count` times with `concurrency` workers; measures each call. */
export async function runConcurrent(
  label: string,
  count: number,
  concurrency: number,
  task: (i: number) => Promise<boolean>,
): Promise<ThroughputResult> {
  const latencies: number[] = [];
  let next = 0;
  let failures = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        const t0 = performance.now();
        if (!(await task(i))) failures++;
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    label,
    count,
    seconds,
    perSecond: count / seconds,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    failures,
  };
}

/** CPU ms each delivery of a row cost (the row's CPU over its deliveries, the warm-up one included). */
export interface CpuPerDelivery {
  /** The server process (the ingress with PGlite includes the database). */
  serverMs: number;
  /** The PostgreSQL backends of the server's pool, and how many there were (ingress on PostgreSQL). */
  backendsMs: number;
  backends: number;
  /** The Temporal dev server, when the bench started it (its pid is known). */
  temporalMs?: number;
}

export interface HttpRow {
  label: string;
  load: LoadResult;
  cpu?: CpuPerDelivery;
}

interface ChildServer {
  url: string;
  /** The child's cumulative CPU counters (cpu-usage.ts). */
  cpu(): Promise<CpuCounters>;
  stop(): Promise<void>;
}

/** Runs `bench/<file>` under tsx in a process of its own, with `payload` as JSON in `variable`. */
export function spawnBenchProcess(
  file: string,
  variable: string,
  payload: unknown,
  nodeArgs: string[] = [],
  ipc = false,
) {
  return spawn(process.execPath, [...nodeArgs, '--import', 'tsx', path.join(__dirname, file)], {
    env: { ...process.env, [variable]: JSON.stringify(payload) },
    stdio: ['ignore', 'pipe', 'inherit', ...(ipc ? ['ipc' as const] : [])],
  });
}

export function firstLine(child: ReturnType<typeof spawn>): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const end = buffered.indexOf('\n');
      if (end >= 0) resolve(buffered.slice(0, end));
    });
    child.once('exit', (code) => reject(new Error(`bench process exited with ${code} before it was ready`)));
  });
}

async function startServer(options: BenchServerOptions): Promise<ChildServer> {
  // BENCH_CPU_PROF=DIR writes a V8 CPU profile of each ingress process there (node --cpu-prof).
  const profile = process.env.BENCH_CPU_PROF;
  const nodeArgs = profile && options.kind === 'ingress' ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : [];
  const child = spawnBenchProcess('http-servers.ts', 'BENCH_SERVER', options, nodeArgs, true);
  const ready = JSON.parse(await firstLine(child)) as { url: string; path: string };
  return {
    url: `${ready.url}${ready.path}`,
    cpu: () =>
      new Promise<CpuCounters>((resolve) => {
        child.once('message', (counters) => resolve(counters as CpuCounters));
        child.send('cpu');
      }),
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const child = spawnBenchProcess('load-generator.ts', 'BENCH_LOAD', options);
  return JSON.parse(await firstLine(child)) as LoadResult;
}

/**
 * The ingress beside what it replaces, in one run: a bare `client.workflow.start` loop (this
 * process), hand-written Express glue, and the ingress on PostgreSQL and on the embedded PGlite;
 * each HTTP server in a process of its own, loaded from a third. Then a mixed load (30% repeated
 * event ids) and a load of repeats only.
 */
export async function benchIngressThroughput(input: {
  client: Client;
  temporalAddress: string;
  databaseUrl: string;
  count: number;
  concurrency: number;
  /** The Temporal dev server's pid, when the bench started it: its CPU per delivery is shown too. */
  temporalPid?: number | undefined;
}): Promise<{ baseline: ThroughputResult; rows: HttpRow[] }> {
  const { client, count, concurrency } = input;
  const taskQueue = `bench-${randomUUID()}`;
  const runTag = randomUUID().slice(0, 8);

  // Warm up so no path pays for connection setup inside the measurement.
  await client.workflow.start('weeklyReport', { taskQueue, workflowId: `warm-${runTag}`, args: [{}] });
  const baseline = await runConcurrent('bare client.workflow.start', count, concurrency, async (i) => {
    await client.workflow.start('weeklyReport', {
      taskQueue,
      workflowId: `bare-${runTag}-${i}`,
      args: [{ webhook_payload: { i } }],
    });
    return true;
  });

  const common = { temporalAddress: input.temporalAddress, taskQueue, secret: SECRET };
  const rows: HttpRow[] = [];
  const measure = async (
    server: ChildServer,
    label: string,
    mode: LoadOptions['mode'],
    tag: string,
    load: Pick<LoadOptions, 'count' | 'concurrency'> = { count, concurrency },
  ) => {
    const temporalCpu = () => (input.temporalPid === undefined ? undefined : processCpuMs(input.temporalPid));
    const [before, temporalBefore] = [await server.cpu(), temporalCpu()];
    const result = await runLoad({ url: server.url, secret: SECRET, ...load, tag: `${runTag}-${tag}`, mode });
    const [after, temporalAfter] = [await server.cpu(), temporalCpu()];
    const deliveries = load.count + 1; // and the load generator's warm-up delivery
    const perDelivery = (ms: number) => ms / deliveries;
    rows.push({
      label,
      load: result,
      cpu: {
        serverMs: perDelivery(after.processMs - before.processMs),
        backendsMs: perDelivery(after.backendsMs - before.backendsMs),
        backends: after.backends,
        ...(temporalBefore !== undefined && temporalAfter !== undefined
          ? { temporalMs: perDelivery(temporalAfter - temporalBefore) }
          : {}),
      },
    });
  };
  const servers: Array<[string, BenchServerOptions]> = [
    ['glue', { ...common, kind: 'glue' }],
    [
      'ingress (PostgreSQL)',
      {
        ...common,
        kind: 'ingress',
        database: input.databaseUrl,
        schema: `bench_${randomUUID().replace(/-/g, '').slice(0, 12)}`,
      },
    ],
    ['ingress (PGlite)', { ...common, kind: 'ingress', database: 'embedded' }],
  ];
  for (const [name, options] of servers) {
    const server = await startServer(options);
    try {
      await measure(server, name, 'unique', `${options.kind}-${options.database ?? ''}`.slice(0, 20));
      await measure(server, `${name}, 30% repeats`, 'mixed', `mixed-${name}`);
      if (options.database !== 'embedded') {
        const tag = `${options.kind}-${options.database ?? ''}`.slice(0, 20);
        await measure(server, `${name}, repeats only`, 'repeat', tag);
        // A repeat's own latency, with no queue in front of it.
        await measure(server, `${name}, repeats one at a time`, 'repeat', tag, {
          count: Math.min(count, 300),
          concurrency: 1,
        });
      }
    } finally {
      await server.stop();
    }
  }
  return { baseline, rows };
}
