/**
 * Lifecycle notifications: workflows/s of a 3-activity workflow with notifications on (one
 * subscription, all events: 5 per run) beside the same workflow on a worker without the plugin,
 * in the same run; and the completion latency a receiver that is down adds.
 */
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
import { runConcurrent, type ThroughputResult } from './ingress-throughput';

const activities = { benchStep: async (i: number) => i };

async function startReceiver(): Promise<{ url: string; received: () => number; close(): Promise<void> }> {
  let count = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      count++;
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    received: () => count,
    close: () => new Promise((r) => server.close(() => r())),
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

export interface NotifyBenchResult {
  off: ThroughputResult;
  /** The plugin on, no subscription: interceptors and the per-event hand-off (local activity, 0 targets), no delivery. */
  handOff: ThroughputResult;
  on: ThroughputResult;
  down: ThroughputResult;
  offLatency: ThroughputResult;
  /** Seconds after the last run completed until the receiver had every event (or gave up at 120 s). */
  drainSeconds: number;
  delivered: number;
  expected: number;
}

export async function benchNotifications(input: {
  store: Store;
  client: Client;
  connection: NativeConnection;
  namespace: string;
  count: number;
  concurrency: number;
}): Promise<NotifyBenchResult> {
  const { store, client, connection, namespace, count, concurrency } = input;
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
    return worker.runUntil(async () => {
      await client.workflow.execute('benchThreeSteps', { taskQueue, workflowId: `warm-${taskQueue}` });
      const result = await runConcurrent(label, runs, parallel, async (i) => {
        await client.workflow.execute('benchThreeSteps', { taskQueue, workflowId: `${taskQueue}-${i}` });
        return true;
      });
      await settle?.();
      return result;
    });
  };

  const off = await measure('notifications off (no plugin)', [], plain.code, count, concurrency);
  const handOff = await measure('plugin, no subscription (hand-off)', [plugin], withPlugin.code, count, concurrency);

  const receiver = await startReceiver();
  await store.subscriptions.apply('default', 'bench-all', { url: receiver.url, events: ['*'] });
  const expected = 5 * (count + 1);
  let drainSeconds = 0;
  const on = await measure(
    'on: 1 subscription, all events',
    [plugin],
    withPlugin.code,
    count,
    concurrency,
    async () => {
      const finished = performance.now();
      while (receiver.received() < expected && performance.now() - finished < 120_000)
        await new Promise((r) => setTimeout(r, 50));
      drainSeconds = (performance.now() - finished) / 1000;
    },
  );
  const delivered = receiver.received();
  await store.subscriptions.delete('default', 'bench-all');
  await receiver.close();

  // Completion latency, one run at a time: without the plugin, and with a receiver that is down.
  const latencyRuns = Math.max(10, Math.floor(count / 10));
  const offLatency = await measure('off, one at a time', [], plain.code, latencyRuns, 1);
  await store.subscriptions.apply('default', 'bench-down', { url: await closedPortUrl(), events: ['*'] });
  const down = await measure('on, receiver down, one at a time', [plugin], withPlugin.code, latencyRuns, 1);
  await store.subscriptions.delete('default', 'bench-down');
  return { off, handOff, on, down, offLatency, drainSeconds, delivered, expected };
}
