/**
 * Bulk replay, against the real Temporal dev server and PostgreSQL: 500 deliveries fail (a
 * workflow-id template that renders empty), the webhook is fixed, and
 * `POST /v1/webhooks/{name}/replay?outcome=failed` replays them in the background of an ingress
 * in a process of its own, which is SIGKILLed mid-job; a second ingress takes the job over once
 * the lease lapses and finishes it. Each source delivery is replayed exactly once: one item, one
 * successful replay delivery, one run in Temporal per event.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { replayCommand } from '../../src/cli/replay-command';
import { createTestStore, type TestStore } from '../support/db';
import { spawnIngress, type IngressProcess } from '../support/ingress-process';
import {
  genericDeliveryHeaders,
  secretBody,
  startTestIngress,
  TEST_ADMIN_TOKEN,
  webhookBody,
  type TestIngress,
} from '../support/ingress';
import { getTestTemporal, uniqueTaskQueue, type TestTemporal } from '../support/temporal';
import { runCli } from '../cli/cli-harness';

const SECRET = 'bulk-replay-secret';
const COUNT = 500;

describe('bulk replay', () => {
  let store: TestStore;
  let temporal: TestTemporal;
  let ingress: TestIngress;
  const children: IngressProcess[] = [];
  const taskQueue = uniqueTaskQueue('bulk');
  const webhook = `bulk-${randomUUID().slice(0, 8)}`;
  let path: string;

  const spec = (workflowId?: string) => ({
    profile: 'generic',
    secretRef: { name: 'bulk', key: 'value' },
    start: { workflowType: 'weeklyReport', taskQueue, ...(workflowId ? { workflowId } : {}) },
  });

  before(async () => {
    store = await createTestStore();
    temporal = await getTestTemporal();
    ingress = await startTestIngress(store, temporal.client);
    assert.equal((await ingress.api('PUT', '/v1/secrets/bulk', secretBody({ value: SECRET }))).status, 201);
    // Broken on purpose: the payload has no `missing`, so every start is refused.
    const hook = await ingress.api('PUT', `/v1/webhooks/${webhook}`, webhookBody(spec('{payload.missing}')));
    assert.equal(hook.status, 201, JSON.stringify(hook.body));
    path = hook.body.status.endpointPath;
  });

  after(async () => {
    for (const child of children) await child.kill();
    await ingress?.close();
    await store?.dropSchema();
  });

  /** The API of a child ingress. */
  const api = async (url: string, method: string, route: string) => {
    const res = await fetch(url + route, { method, headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } });
    return { status: res.status, body: (await res.json()) as any };
  };

  async function until<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = await check();
      if (found !== undefined) return found;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  test(`${COUNT} failed deliveries replayed across an ingress kill: each source once, one run per event`, async (t) => {
    const events = Array.from({ length: COUNT }, (_, i) => `evt-${i}-${randomUUID().slice(0, 8)}`);
    for (let i = 0; i < COUNT; i += 25)
      await Promise.all(
        events.slice(i, i + 25).map(async (eventId) => {
          const body = JSON.stringify({ order: eventId });
          const res = await ingress.deliver(path, body, genericDeliveryHeaders(body, eventId, { secret: SECRET }));
          assert.equal(res.status, 400, JSON.stringify(res.body));
        }),
      );
    // The operator fixes the webhook: the default workflow id.
    assert.equal((await ingress.api('PUT', `/v1/webhooks/${webhook}`, webhookBody(spec()))).status, 200);

    const first = await spawnIngress({ databaseUrl: store.databaseUrl, schema: store.schema, replayLeaseMs: 2_000 });
    children.push(first);
    const created = await api(first.url, 'POST', `/v1/webhooks/${webhook}/replay?outcome=failed&rate=50`);
    assert.equal(created.status, 202, JSON.stringify(created.body));
    assert.equal(created.body.total, COUNT);
    assert.equal(created.body.state, 'pending');
    const jobPath = `/v1/webhooks/${webhook}/replays/${created.body.id}`;

    // Killed mid-job.
    const before = await until('a fifth of the job', 30_000, async () => {
      const job = (await api(first.url, 'GET', jobPath)).body;
      return job.done >= COUNT / 5 ? job : undefined;
    });
    await first.kill();
    assert.ok(before.done < COUNT, `killed before the end (${before.done} done)`);

    const second = await spawnIngress({ databaseUrl: store.databaseUrl, schema: store.schema, replayLeaseMs: 2_000 });
    children.push(second);
    const finished = await until('the job to complete', 90_000, async () => {
      const job = (await api(second.url, 'GET', jobPath)).body;
      return job.state === 'completed' ? job : undefined;
    });
    assert.equal(finished.total, COUNT);
    assert.equal(finished.done, COUNT);
    assert.equal(finished.succeeded, COUNT, JSON.stringify(finished));
    assert.equal(finished.failed, 0);

    // Each source: one item, replayed by exactly one successful delivery of this job.
    const items = await store.db.query<{ state: string; n: number }>(
      `SELECT state, count(*)::int AS n FROM replay_job_items WHERE job_id = $1 GROUP BY state`,
      [created.body.id],
    );
    assert.deepEqual(items.rows, [{ state: 'succeeded', n: COUNT }]);
    const replays = await store.db.query<{ source: string; started: number; rows: number }>(
      `SELECT replay_of AS source, count(*) FILTER (WHERE outcome = 'started')::int AS started, count(*)::int AS rows
       FROM deliveries WHERE replay_job_id = $1 GROUP BY replay_of`,
      [created.body.id],
    );
    assert.equal(replays.rows.length, COUNT, 'every source replayed');
    assert.deepEqual(
      replays.rows.filter((r) => r.started !== 1),
      [],
      'every source started its run exactly once',
    );
    // Only a replay the kill interrupted before its start reached Temporal may have a second row.
    const twice = replays.rows.filter((r) => r.rows > 1).length;
    assert.ok(twice <= 1);
    t.diagnostic(`killed at ${before.done}/${COUNT} done; sources with a second (released) replay row: ${twice}`);

    // And Temporal holds one run per event.
    const count = await until('visibility to list every run', 30_000, async () => {
      const { count: n } = await temporal.client.workflow.count(`TempohookWebhook = 'default/${webhook}'`);
      return n >= COUNT ? n : undefined;
    });
    assert.equal(count, COUNT);
  });

  test('tempohook replay --webhook NAME --outcome … follows the job to the end; a search is required', async () => {
    const eventId = `evt-cli-${randomUUID()}`;
    const body = JSON.stringify({ order: eventId });
    assert.equal(
      (await ingress.deliver(path, body, genericDeliveryHeaders(body, eventId, { secret: SECRET }))).status,
      202,
    );
    const child = children[children.length - 1]!;
    const env = { TEMPOHOOK_URL: child.url, TEMPOHOOK_ADMIN_TOKEN: TEST_ADMIN_TOKEN };
    const run = await runCli(replayCommand, ['--webhook', webhook, '--event-id', eventId, '--rate', '100'], env);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^replay [0-9a-f-]{36} started: 1 deliveries of default\//);
    assert.match(run.stdout, /completed, 1\/1 done \(1 replayed, 0 failed\)/);

    const noSearch = await runCli(replayCommand, ['--webhook', webhook], env);
    assert.equal(noSearch.code, 2);
    const api400 = await api(child.url, 'POST', `/v1/webhooks/${webhook}/replay`);
    assert.equal(api400.status, 400);
    assert.equal(api400.body.error.code, 'filter_required');
    const list = await api(child.url, 'GET', `/v1/webhooks/${webhook}/replays`);
    assert.equal(list.body.items.length, 2);
  });
});
