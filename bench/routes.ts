/**
 * Fan-out cost: deliveries to a webhook with 3 `start` routes and `mode: all` (verify + dedup +
 * route matching + 3 starts + the route record) beside 3 bare `client.workflow.start` calls per
 * "delivery", at once as the ingress makes them, against the same dev server, in the same run.
 */
import { createHmac, randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { createApp } from '../src/ingress/app';
import { listen } from '../src/ingress/server';
import { silentLogger } from '../src/logger';
import type { Store } from '../src/store/types';
import { runConcurrent, type ThroughputResult } from './ingress-throughput';

const ADMIN_TOKEN = 'bench-admin-token-0123456789';
const SECRET = 'bench-secret';
const ROUTES = ['deploy', 'review', 'report'];

export async function benchRoutes(input: {
  store: Store;
  client: Client;
  count: number;
  concurrency: number;
}): Promise<{ baseline: ThroughputResult; ingress: ThroughputResult }> {
  const { store, client, count, concurrency } = input;
  const taskQueue = `bench-routes-${randomUUID()}`;
  const runTag = randomUUID().slice(0, 8);
  await client.workflow.start('weeklyReport', { taskQueue, workflowId: `warm-${runTag}`, args: [{}] });

  const baseline = await runConcurrent(`3 bare client.workflow.start`, count, concurrency, async (i) => {
    await Promise.all(
      ROUTES.map((route) =>
        client.workflow.start('weeklyReport', {
          taskQueue,
          workflowId: `bare-${runTag}-${route}-${i}`,
          args: [{ webhook_payload: { i } }],
        }),
      ),
    );
    return true;
  });

  const app = createApp({ store, client, logger: silentLogger, adminToken: ADMIN_TOKEN });
  const server = await listen(app, 0);
  try {
    await store.secrets.put('default', 'bench-secret', { value: SECRET });
    const { webhook } = await store.webhooks.apply('default', `bench-routes-${runTag}`, {
      profile: 'generic',
      secretRef: { name: 'bench-secret', key: 'value' },
      mode: 'all',
      routes: [
        { name: 'deploy', when: 'payload.kind == "push"', start: { workflowType: 'weeklyReport', taskQueue } },
        { name: 'review', match: { '$.kind': 'push' }, start: { workflowType: 'weeklyReport', taskQueue } },
        { name: 'report', start: { workflowType: 'weeklyReport', taskQueue } },
      ],
    });
    const url = `${server.url}/v1/webhook-deliveries/${webhook.endpointId}`;
    const send = async (eventId: string) => {
      const body = JSON.stringify({ kind: 'push', eventId, padding: 'x'.repeat(512) });
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
      const answer = (await res.json()) as { started?: unknown[] };
      return res.status === 202 && answer.started?.length === ROUTES.length;
    };
    await send(`warm-${runTag}`);
    const ingress = await runConcurrent('ingress, 3 routes, mode all', count, concurrency, (i) =>
      send(`evt-${runTag}-${i}`),
    );
    return { baseline, ingress };
  } finally {
    await server.close();
  }
}
