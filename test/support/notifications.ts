/** The fixture notification tests share: a store, an ingress and a worker with TempohookPlugin on its own task queue. */
import { Worker } from '@temporalio/worker';
import { silentLogger } from '../../src/logger';
import type { Store } from '../../src/store';
import { TempohookPlugin, type TempohookPluginOptions } from '../../src/worker/plugin';
import { createTestStore, type TestStore } from './db';
import { startTestIngress, type TestIngress } from './ingress';
import { createNotificationTestActivities } from './notification-activities';
import { getTestTemporal, uniqueTaskQueue, type TestTemporal } from './temporal';

export interface NotificationFixture {
  store: TestStore;
  temporal: TestTemporal;
  ingress: TestIngress;
  taskQueue: string;
  /** Starts one more worker on the same task queue (e.g. after `stopWorker`). */
  startWorker(): Promise<void>;
  stopWorker(): Promise<void>;
  /** PUTs a Subscription resource. */
  subscribe(name: string, spec: Record<string, unknown>): Promise<any>;
  close(): Promise<void>;
}

export const OUTBOUND_ALLOW = '127.0.0.1';

/** TempohookPlugin as every notification test worker has it: loopback allowed, the test activities, quiet. */
export function testPlugin(store: Store, extra: Partial<TempohookPluginOptions> = {}): TempohookPlugin {
  return new TempohookPlugin({
    store,
    outboundAllow: OUTBOUND_ALLOW,
    activities: createNotificationTestActivities(),
    logger: silentLogger,
    ...extra,
  });
}

/** `startWorker: false` leaves the task queue without a worker until `startWorker()`. */
export async function startNotificationFixture(
  options: { subscriptionsFile?: string; startWorker?: boolean; closeObserverIntervalMs?: number } = {},
): Promise<NotificationFixture> {
  const store = await createTestStore();
  const temporal = await getTestTemporal();
  const ingress = await startTestIngress(store, temporal.client, { outboundAllow: OUTBOUND_ALLOW });
  const taskQueue = uniqueTaskQueue('notify');
  let running: { worker: Worker; run: Promise<void> } | undefined;
  const fixture: NotificationFixture = {
    store,
    temporal,
    ingress,
    taskQueue,
    async startWorker() {
      const worker = await Worker.create({
        connection: temporal.nativeConnection,
        namespace: temporal.namespace,
        taskQueue,
        workflowBundle: temporal.workflowBundle,
        plugins: [
          testPlugin(store, {
            ...(options.subscriptionsFile ? { subscriptionsFile: options.subscriptionsFile } : {}),
            ...(options.closeObserverIntervalMs ? { closeObserverIntervalMs: options.closeObserverIntervalMs } : {}),
          }),
        ],
      });
      running = { worker, run: worker.run() };
    },
    async stopWorker() {
      const current = running;
      running = undefined;
      if (!current) return;
      if (current.worker.getState() === 'RUNNING') current.worker.shutdown();
      await current.run.catch(() => undefined);
    },
    async subscribe(name, spec) {
      const res = await ingress.api('PUT', `/v1/subscriptions/${name}`, {
        apiVersion: 'tempohook.dev/v1',
        kind: 'Subscription',
        spec,
      });
      if (res.status >= 300) throw new Error(`PUT subscription ${name}: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body;
    },
    async close() {
      await fixture.stopWorker();
      await ingress.close();
      await store.dropSchema();
    },
  };
  if (options.startWorker !== false) await fixture.startWorker();
  return fixture;
}

/** A `whsec_` secret for Standard Webhooks tests. */
export const WHSEC = `whsec_${Buffer.from('tempohook-test-signing-key-0123456789').toString('base64')}`;

/** Polls `fn` until it returns a value, or fails after `timeoutMs` naming `what`. */
export async function eventually<T>(fn: () => Promise<T | undefined>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
