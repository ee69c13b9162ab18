/**
 * Lifecycle notifications: workflows/s of a 3-activity workflow on a worker without the plugin,
 * with the plugin and no subscription, with one and with ten subscriptions to all events (5 per
 * run), in the same run; the completion latency a receiver that is down adds; and per event,
 * the worker process's extra CPU and the Postgres statements it sent. The receiver runs in a
 * process of its own, as a real one runs elsewhere.
 */
import pg from 'pg';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import {
  bundleWorkflowCode,
  DefaultLogger,
  Worker,
  type NativeConnection,
  type WorkerPlugin,
} from '@temporalio/worker';
import { silentLogger } from '../src/logger';
import type { Store } from '../src/store/types';
import { TempohookPlugin } from '../src/worker/plugin';
import { firstLine, runConcurrent, spawnBenchProcess, type ThroughputResult } from './ingress-throughput';

const activities = { benchStep: async (i: number) => i };

/** Statements every `pg` client in this process sent (the store's pool and the change feed's). */
let statements = 0;
// Counting wrapper around the prototype method; `this` is passed through below.
// eslint-disable-next-line @typescript-eslint/unbound-method
const query = pg.Client.prototype.query;
pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
  statements++;
  return (query as (...a: unknown[]) => unknown).apply(this, args);
} as typeof query;

/** The receiver in a process of its own (notify-receiver.ts): its HTTP work is neither the worker's CPU nor on its event loop. */
async function startReceiver(): Promise<{ url: string; received: () => Promise<number>; close(): Promise<void> }> {
  const child = spawnBenchProcess('notify-receiver.ts', 'BENCH_RECEIVER', {});
  const { url } = JSON.parse(await firstLine(child)) as { url: string };
  const countUrl = new URL('/count', url).toString();
  return {
    url,
    received: async () => ((await (await fetch(countUrl)).json()) as { received: number }).received,
    close: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** A port nothing listens on: the "receiver down" case. */
async function closedPortUrl(): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return `http://127.0.0.1:${port}/hooks`;
}

/** A measured case with what it cost the worker's process: CPU (user + system) and statements sent. */
export type MeasuredCase = ThroughputResult & { cpuMs: number; statements: number; runs: number };

/** The throughput rows are absent when only the latency rows ran. */
export interface NotifyBenchResult extends Partial<ThroughputRows> {
  down: MeasuredCase;
  offLatency: MeasuredCase;
}

interface ThroughputRows {
  off: MeasuredCase;
  /** The plugin on, no subscription: interceptors and the sink (a cache lookup per event), no database, no delivery. */
  handOff: MeasuredCase;
  /** Each case / off, round by round (the rows are the median rounds). */
  roundRatios: { handOff: number[]; on: number[]; ten: number[] };
  on: MeasuredCase;
  ten: MeasuredCase;
  /** Seconds after the last run completed until the receiver had every event (or gave up at 120 s); the longest round. */
  drainSeconds: number;
  delivered: number;
  expected: number;
  tenDrainSeconds: number;
  tenDelivered: number;
  tenExpected: number;
}

/** The case of median throughput. */
function median(cases: readonly MeasuredCase[]): MeasuredCase {
  return [...cases].sort((a, b) => a.perSecond - b.perSecond)[Math.floor(cases.length / 2)]!;
}

export async function benchNotifications(input: {
  store: Store;
  client: Client;
  connection: NativeConnection;
  namespace: string;
  count: number;
  concurrency: number;
  /** `latency`: only the one-at-a-time rows (off and receiver down), for iterating on that figure. */
  only?: 'latency';
  /** Rounds of the four throughput cases, alternating (default 3). */
  rounds?: number;
}): Promise<NotifyBenchResult> {
  const { store, client, connection, namespace, count, concurrency } = input;
  const rounds = Math.max(1, input.rounds ?? 3);
  const logger = new DefaultLogger('WARN');
  const workflowsPath = require.resolve('./notify-workflows');
  const plugin = new TempohookPlugin({ store, outboundAllow: '127.0.0.1', logger: silentLogger });
  const [plain, withPlugin] = await Promise.all([
    bundleWorkflowCode({ workflowsPath, logger }),
    bundleWorkflowCode({ workflowsPath, logger, plugins: [plugin] }),
  ]);

  // `settle` runs before the worker stops: deliveries run on the same worker, after the runs complete.
  const measure = async (
    label: string,
    plugins: WorkerPlugin[],
    code: string,
    runs: number,
    parallel: number,
    settle?: () => Promise<void>,
  ) => {
    const taskQueue = `bench-notify-${randomUUID()}`;
    const worker = await Worker.create({
      connection,
      namespace,
      taskQueue,
      workflowBundle: { code },
      activities,
      plugins,
    });
    return worker.runUntil(async (): Promise<MeasuredCase> => {
      await client.workflow.execute('benchThreeSteps', { taskQueue, workflowId: `warm-${taskQueue}` });
      const cpu = process.cpuUsage();
      const sent = statements;
      const result = await runConcurrent(label, runs, parallel, async (i) => {
        await client.workflow.execute('benchThreeSteps', { taskQueue, workflowId: `${taskQueue}-${i}` });
        return true;
      });
      await settle?.();
      const used = process.cpuUsage(cpu);
      return { ...result, cpuMs: (used.user + used.system) / 1000, statements: statements - sent, runs };
    });
  };
  const drain = (receiver: { received: () => Promise<number> }, expected: number) => async () => {
    const finished = performance.now();
    while ((await receiver.received()) < expected && performance.now() - finished < 120_000)
      await new Promise((r) => setTimeout(r, 20));
    return (performance.now() - finished) / 1000;
  };

  // Completion latency, one run at a time: without the plugin, and with a receiver that is down.
  const latency = async () => {
    const latencyRuns = Math.max(10, Math.floor(count / 10));
    const offLatency = await measure('off, one at a time', [], plain.code, latencyRuns, 1);
    await store.subscriptions.apply('default', 'bench-down', { url: await closedPortUrl(), events: ['*'] });
    const down = await measure('on, receiver down, one at a time', [plugin], withPlugin.code, latencyRuns, 1);
    await store.subscriptions.delete('default', 'bench-down');
    return { offLatency, down };
  };
  if (input.only === 'latency') return latency();

  // Unmeasured warm-up (server, JIT, connections): the first measured case is "off", which would otherwise pay for it.
  await measure('warm-up', [], plain.code, Math.ceil(count / 3), concurrency);
  // The four cases alternate for `rounds` rounds and each row shows its median round: one
  // measurement moves by ±0.1x from run to run on a shared machine (the dev server's own pauses),
  // which is the size of what the no-subscription row measures.
  const subscribed = async (label: string, subscriptions: number) => {
    const receiver = await startReceiver();
    const names = Array.from({ length: subscriptions }, (_, i) => `bench-${subscriptions}-${i + 1}`);
    for (const [i, name] of names.entries())
      await store.subscriptions.apply('default', name, { url: `${receiver.url}/${i}`, events: ['*'] });
    await new Promise((r) => setTimeout(r, 1_100)); // the worker's subscription cache sees changes within 1 s
    const expected = subscriptions * 5 * (count + 1);
    let drainSeconds = 0;
    const measured = await measure(label, [plugin], withPlugin.code, count, concurrency, async () => {
      drainSeconds = await drain(receiver, expected)();
    });
    const delivered = await receiver.received();
    for (const name of names) await store.subscriptions.delete('default', name);
    await receiver.close();
    await new Promise((r) => setTimeout(r, 1_100));
    return { measured, drainSeconds, delivered, expected };
  };
  const rows = {
    off: [] as MeasuredCase[],
    handOff: [] as MeasuredCase[],
    on: [] as MeasuredCase[],
    ten: [] as MeasuredCase[],
  };
  let drainSeconds = 0;
  let delivered = 0;
  let expected = 0;
  let tenDrainSeconds = 0;
  let tenDelivered = 0;
  let tenExpected = 0;
  for (let round = 1; round <= rounds; round++) {
    rows.off.push(await measure('notifications off (no plugin)', [], plain.code, count, concurrency));
    rows.handOff.push(await measure('plugin, no subscription', [plugin], withPlugin.code, count, concurrency));
    const one = await subscribed('on: 1 subscription, all events', 1);
    rows.on.push(one.measured);
    drainSeconds = Math.max(drainSeconds, one.drainSeconds);
    delivered += one.delivered;
    expected += one.expected;
    const ten = await subscribed('on: 10 subscriptions, all events', 10);
    rows.ten.push(ten.measured);
    tenDrainSeconds = Math.max(tenDrainSeconds, ten.drainSeconds);
    tenDelivered += ten.delivered;
    tenExpected += ten.expected;
  }
  const perRound = (cases: MeasuredCase[]) => cases.map((c, i) => c.perSecond / rows.off[i]!.perSecond);
  const off = median(rows.off);
  const handOff = median(rows.handOff);
  const on = median(rows.on);
  const ten = median(rows.ten);
  const roundRatios = { handOff: perRound(rows.handOff), on: perRound(rows.on), ten: perRound(rows.ten) };

  return {
    ...(await latency()),
    off,
    handOff,
    roundRatios,
    on,
    ten,
    drainSeconds,
    delivered,
    expected,
    tenDrainSeconds,
    tenDelivered,
    tenExpected,
  };
}
