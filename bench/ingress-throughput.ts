/**
 * Deliveries per second through the ingress (verify + dedup + start) beside a bare
 * `client.workflow.start` loop against the same Temporal dev server, same concurrency, same run.
 */
import { createHmac, randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { createApp } from '../src/ingress/app';
import { listen } from '../src/ingress/server';
import { silentLogger } from '../src/logger';
import type { Store } from '../src/store/types';

const ADMIN_TOKEN = 'bench-admin-token-0123456789';
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

export async function benchIngressThroughput(input: {
  store: Store;
  client: Client;
  count: number;
  concurrency: number;
}): Promise<{ baseline: ThroughputResult; ingress: ThroughputResult }> {
  const { store, client, count, concurrency } = input;
  const taskQueue = `bench-${randomUUID()}`;
  const runTag = randomUUID().slice(0, 8);

  // Warm up both paths so neither pays for connection setup inside the measurement.
  await client.workflow.start('weeklyReport', { taskQueue, workflowId: `warm-${runTag}`, args: [{}] });

  const baseline = await runConcurrent('bare client.workflow.start', count, concurrency, async (i) => {
    await client.workflow.start('weeklyReport', {
      taskQueue,
      workflowId: `bare-${runTag}-${i}`,
      args: [{ webhook_payload: { i } }],
    });
    return true;
  });

  const app = createApp({ store, client, logger: silentLogger, adminToken: ADMIN_TOKEN });
  const server = await listen(app, 0);
  try {
    await store.secrets.put('default', 'bench-secret', { value: SECRET });
    const { webhook } = await store.webhooks.apply('default', `bench-${runTag}`, {
      profile: 'generic',
      secretRef: { name: 'bench-secret', key: 'value' },
      start: { workflowType: 'weeklyReport', taskQueue },
    });
    const url = `${server.url}/v1/webhook-deliveries/${webhook.endpointId}`;
    const send = async (eventId: string) => {
      const body = JSON.stringify({ eventId, padding: 'x'.repeat(512) });
      const ts = Math.floor(Date.now() / 1000);
      const res = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-timestamp': String(ts),
          'x-event-id': eventId,
          'x-signature': `sha256=${createHmac('sha256', SECRET).update(`${ts}.${body}`).digest('hex')}`,
        },
        body,
      });
      await res.arrayBuffer();
      return res.status === 202;
    };
    await send(`warm-${runTag}`);
    const ingress = await runConcurrent('ingress (verify + dedup + start)', count, concurrency, (i) =>
      send(`evt-${runTag}-${i}`),
    );
    return { baseline, ingress };
  } finally {
    await server.close();
  }
}
