/**
 * spec.routes over real HTTP, against the shared Temporal dev server and PostgreSQL: routing by
 * event type (the GitHub example resource), `all` fan-out to three workflows, 50 concurrent
 * copies of one event to a signalWithStart route, a retry after one route of a fan-out failed
 * (only that route is redone), and an entity that keeps deduplicating across continue-as-new.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { parse } from 'yaml';
import type { EntityRecorderInput } from '../support/entity-workflows';
import { entityRecord } from '../support/entities';
import { countingClient, type CountingClient } from '../support/counting-client';
import { createTestStore } from '../support/db';
import {
  genericDeliveryHeaders,
  secretBody,
  startTestIngress,
  webhookBody,
  type TestIngress,
} from '../support/ingress';
import { getTestTemporal, startExampleTestWorker, uniqueTaskQueue, type TestTemporal } from '../support/temporal';

const SECRET = 'routes-secret';
// @octokit/webhooks-methods is ESM-only with an `import`-only export map.
const octokitSign = async (secret: string, payload: string): Promise<string> =>
  (await import('@octokit/webhooks-methods')).sign(secret, payload);

describe('spec.routes', () => {
  let store: Awaited<ReturnType<typeof createTestStore>>;
  let temporal: TestTemporal;
  let ingress: TestIngress;
  let counting: CountingClient;
  let worker: { stop(): Promise<void> };
  const taskQueue = uniqueTaskQueue('routes');

  before(async () => {
    store = await createTestStore();
    temporal = await getTestTemporal();
    counting = countingClient(temporal.client);
    ingress = await startTestIngress(store, counting.client);
    worker = await startExampleTestWorker(taskQueue);
    assert.equal((await ingress.api('PUT', '/v1/secrets/s', secretBody({ value: SECRET }))).status, 201);
  });
  after(async () => {
    await worker?.stop();
    await ingress?.close();
    await store?.dropSchema();
    await store?.close();
  });

  /** Applies a webhook and returns its endpoint path. */
  async function apply(name: string, spec: Record<string, unknown>): Promise<string> {
    const res = await ingress.api('PUT', `/v1/webhooks/${name}`, webhookBody(spec));
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body.status.endpointPath;
  }
  const generic = (extra: Record<string, unknown>) => ({
    profile: 'generic',
    secretRef: { name: 's', key: 'value' },
    ...extra,
  });
  const deliver = (endpoint: string, payload: unknown, eventId: string) => {
    const body = JSON.stringify(payload);
    return ingress.deliver(endpoint, body, genericDeliveryHeaders(body, eventId, { secret: SECRET }));
  };
  const memoRoute = async (workflowId: string) =>
    ((await temporal.client.workflow.getHandle(workflowId).describe()).memo as any)?.tempohook?.route;
  const names = (list: Array<{ route: string }> | undefined) => (list ?? []).map((a) => a.route);

  test('routing by event type: the GitHub example routes push on main, pull_request and every event of a repository', async () => {
    const doc = parse(await readFile(path.join(__dirname, '../../examples/github-routes.yaml'), 'utf8'));
    const spec = JSON.parse(JSON.stringify(doc.spec).replaceAll('tempohook-examples', taskQueue));
    spec.secretRef = { name: 's', key: 'value' };
    const endpoint = await apply('github-app', spec);
    const repository = { full_name: `octo/${randomUUID()}` };
    const send = async (event: string, payload: Record<string, unknown>) => {
      const body = JSON.stringify(payload);
      const res = await ingress.deliver(endpoint, body, {
        'content-type': 'application/json',
        'x-github-event': event,
        'x-github-delivery': randomUUID(),
        'x-hub-signature-256': await octokitSign(SECRET, body),
      });
      assert.equal(res.status, 202, JSON.stringify(res.body));
      return res.body;
    };

    const push = await send('push', { ref: 'refs/heads/main', after: 'c0ffee', repository });
    assert.deepEqual(names(push.started), ['deploy']);
    assert.deepEqual(names(push.signaled), ['activity']);
    const deploy = temporal.client.workflow.getHandle(push.started[0].workflowId);
    assert.equal((await deploy.describe()).type, 'deployOnPush');
    const deployed = await deploy.result();
    assert.equal(deployed.repository, repository.full_name);
    assert.equal(deployed.commit, 'c0ffee');
    assert.equal(await memoRoute(push.started[0].workflowId), 'deploy');

    const pr = await send('pull_request', { action: 'opened', number: 7, pull_request: { title: 'Fix' }, repository });
    assert.deepEqual(names(pr.started), ['review']);
    assert.equal(
      (await temporal.client.workflow.getHandle(pr.started[0].workflowId).describe()).type,
      'reviewPullRequest',
    );
    const devPush = await send('push', { ref: 'refs/heads/dev', after: 'beef', repository });
    assert.deepEqual(names(devPush.started), [], 'a push to another branch deploys nothing');
    assert.deepEqual(names(devPush.signaled), ['activity']);

    // One entity per repository saw all three events.
    const entityId = `repository/${repository.full_name}`;
    assert.equal(push.signaled[0].workflowId, entityId);
    assert.equal(devPush.signaled[0].runId, push.signaled[0].runId, 'the same run');
    const entity = temporal.client.workflow.getHandle(entityId);
    const deadline = Date.now() + 20_000;
    let counts: Record<string, number> = {};
    while (Date.now() < deadline) {
      counts = await entity.query<Record<string, number>>('repositoryActivity');
      if ((counts.push ?? 0) + (counts.pull_request ?? 0) >= 3) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual(counts, { push: 2, pull_request: 1 });
    assert.equal(await memoRoute(entityId), 'activity');
    await entity.terminate();

    // mode first: only the first matching route acts.
    const first = await apply('github-first', { ...spec, mode: 'first' });
    const body = JSON.stringify({ ref: 'refs/heads/main', after: 'f00d', repository });
    const res = await ingress.deliver(first, body, {
      'content-type': 'application/json',
      'x-github-event': 'push',
      'x-github-delivery': randomUUID(),
      'x-hub-signature-256': await octokitSign(SECRET, body),
    });
    assert.deepEqual(names(res.body.started), ['deploy']);
    assert.equal(res.body.signaled, undefined);
  });

  test('mode all fans one delivery out to three workflows, each once; a redelivery starts nothing', async () => {
    const start = (workflowType: string) => ({ workflowType, taskQueue });
    const endpoint = await apply(
      'fan-out',
      generic({
        mode: 'all',
        routes: [
          { name: 'deploy', start: start('deployOnPush') },
          { name: 'review', when: 'has(payload.pull_request)', start: start('reviewPullRequest') },
          { name: 'report', match: { '$.kind': 'github' }, start: start('weeklyReport') },
          { name: 'never', when: 'payload.kind == "gitlab"', start: start('weeklyReport') },
        ],
      }),
    );
    const eventId = `evt-${randomUUID()}`;
    const payload = {
      kind: 'github',
      ref: 'refs/heads/main',
      after: 'abc',
      action: 'opened',
      number: 1,
      pull_request: { title: 't' },
      repository: { full_name: 'o/r' },
    };
    const res = await deliver(endpoint, payload, eventId);
    assert.equal(res.status, 202, JSON.stringify(res.body));
    assert.equal(res.body.duplicate, false);
    assert.deepEqual(names(res.body.started), ['deploy', 'review', 'report']);
    const ids: string[] = res.body.started.map((s: { workflowId: string }) => s.workflowId);
    assert.deepEqual(
      ids,
      ['deploy', 'review', 'report'].map((r) => `default/fan-out/${r}/${eventId}`),
    );
    assert.equal(res.body.workflowId, ids[0]);
    for (const [i, type] of ['deployOnPush', 'reviewPullRequest', 'weeklyReport'].entries()) {
      const handle = temporal.client.workflow.getHandle(ids[i]!);
      await handle.result();
      const description = await handle.describe();
      assert.equal(description.type, type);
      assert.equal((description.memo as any).tempohook.route, ['deploy', 'review', 'report'][i]);
    }

    const again = await deliver(endpoint, payload, eventId);
    assert.equal(again.status, 202);
    assert.equal(again.body.duplicate, true);
    assert.deepEqual(
      again.body.started.map((s: { runId: string }) => s.runId),
      res.body.started.map((s: { runId: string }) => s.runId),
    );
    const history = await ingress.api('GET', '/v1/webhooks/fan-out/deliveries');
    const original = history.body.items.find((d: any) => d.id === res.body.deliveryId);
    assert.equal(original.outcome, 'started');
    assert.deepEqual(
      original.actions.map((a: any) => `${a.route}:${a.action}=${a.status}`),
      ['deploy:start=started', 'review:start=started', 'report:start=started'],
    );
  });

  test('50 concurrent copies of one event to a signalWithStart route reach one entity once', async () => {
    const endpoint = await apply(
      'entities',
      generic({
        routes: [
          {
            name: 'customer',
            signalWithStart: {
              workflowType: 'entityRecorder',
              taskQueue,
              workflowId: 'customer/{payload.customer}',
              // Workflow-side dedup off: only the ingress (request id, route record) is at work.
              input: { dedup: false } satisfies EntityRecorderInput,
            },
          },
        ],
      }),
    );
    const customer = `cus_${randomUUID()}`;
    const eventId = `evt-${randomUUID()}`;
    const answers = await Promise.all(Array.from({ length: 50 }, () => deliver(endpoint, { customer }, eventId)));
    for (const a of answers) assert.equal(a.status, 202, JSON.stringify(a.body));
    const runIds = new Set(answers.map((a) => a.body.signaled[0].runId));
    assert.equal(runIds.size, 1, 'one entity run');
    assert.equal((await deliver(endpoint, { customer }, `evt-${randomUUID()}`)).status, 202);

    const handle = temporal.client.workflow.getHandle(`customer/${customer}`);
    await entityRecord(handle, (r) => r.handled.length >= 2);
    await new Promise((r) => setTimeout(r, 500)); // a late repeat would land within this pause
    const record = await entityRecord(handle, () => true);
    assert.equal(record.handled.length, 2, JSON.stringify(record.handled));
    assert.equal(record.handled[0]!.eventId, eventId);
    assert.equal(record.handled[0]!.route, 'customer');
    assert.deepEqual(record.handled[0]!.payload, { customer });
    await handle.terminate();
  });

  test('a retry after one route of a fan-out failed redoes only that route', async () => {
    const endpoint = await apply(
      'partial',
      generic({
        mode: 'all',
        routes: [
          { name: 'report', start: { workflowType: 'weeklyReport', taskQueue } },
          { name: 'review', start: { workflowType: 'reviewPullRequest', taskQueue } },
          {
            name: 'entity',
            signalWithStart: {
              workflowType: 'entityRecorder',
              taskQueue,
              workflowId: 'partial/{payload.repository.full_name}',
              input: { dedup: false } satisfies EntityRecorderInput,
            },
          },
        ],
      }),
    );
    const repository = { full_name: `o/${randomUUID()}` };
    const payload = { action: 'opened', number: 3, pull_request: { title: 't' }, repository };
    const eventId = `evt-${randomUUID()}`;
    counting.failStarts('reviewPullRequest', 1);
    counting.calls.length = 0;
    const failed = await deliver(endpoint, payload, eventId);
    assert.equal(failed.status, 503, JSON.stringify(failed.body));
    assert.ok(Number(failed.headers.get('retry-after')) > 0, 'Retry-After');
    assert.deepEqual([...counting.calls].sort(), [
      'signalWithStart:entityRecorder',
      'start:reviewPullRequest',
      'start:weeklyReport',
    ]);

    counting.calls.length = 0;
    const retry = await deliver(endpoint, payload, eventId);
    assert.equal(retry.status, 202, JSON.stringify(retry.body));
    assert.deepEqual(counting.calls, ['start:reviewPullRequest'], 'only the failed route is redone');
    assert.deepEqual(
      retry.body.started.map((s: any) => `${s.route}:${s.duplicate}`),
      ['report:true', 'review:false'],
    );
    assert.deepEqual(
      retry.body.signaled.map((s: any) => `${s.route}:${s.duplicate}`),
      ['entity:true'],
    );
    const report = temporal.client.workflow.getHandle(retry.body.started[0].workflowId);
    assert.equal((await report.describe()).runId, retry.body.started[0].runId, 'the first run, not a new one');
    await temporal.client.workflow.getHandle(retry.body.started[1].workflowId).result();

    const entity = temporal.client.workflow.getHandle(`partial/${repository.full_name}`);
    await entityRecord(entity, (r) => r.handled.length >= 1);
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(
      (await entityRecord(entity, () => true)).handled.map((h) => h.eventId),
      [eventId],
    );
    await entity.terminate();

    const history = await ingress.api('GET', '/v1/webhooks/partial/deliveries');
    const [second, first] = history.body.items.filter((d: any) => d.eventId === eventId);
    assert.equal(first.outcome, 'failed');
    assert.equal(first.httpStatus, 503);
    assert.deepEqual(
      first.actions.map((a: any) => `${a.route}=${a.status}`),
      ['report=started', 'review=unavailable', 'entity=signaled'],
    );
    assert.equal(second.outcome, 'started');
    assert.deepEqual(
      second.actions.map((a: any) => `${a.route}=${a.status}`),
      ['report=skipped', 'review=started', 'entity=skipped'],
    );
  });

  test('a route refused for good beside others that went through is recorded, and the delivery is a 202', async () => {
    const endpoint = await apply(
      'partly-bad',
      generic({
        mode: 'all',
        routes: [
          { name: 'good', start: { workflowType: 'weeklyReport', taskQueue } },
          // Temporal limits workflow ids to 1,000 bytes.
          { name: 'bad', start: { workflowType: 'weeklyReport', taskQueue, workflowId: '{payload.id}' } },
        ],
      }),
    );
    const res = await deliver(endpoint, { id: 'x'.repeat(1500) }, `evt-${randomUUID()}`);
    assert.equal(res.status, 202, JSON.stringify(res.body));
    assert.deepEqual(names(res.body.started), ['good']);
    assert.deepEqual(names(res.body.failed), ['bad']);
    assert.match(res.body.failed[0].reason, /start rejected by Temporal/);
    const webhook = await ingress.api('GET', '/v1/webhooks/partly-bad');
    assert.match(webhook.body.status.lastError, /route bad failed/);
  });

  test('an entity that continued as new still drops an event its previous run handled', async () => {
    const endpoint = await apply(
      'entity-can',
      generic({
        // No dedup window: every repeat reaches the entity, so only onWebhook's carried ids stop it.
        dedupWindow: 0,
        routes: [
          {
            name: 'orders',
            signalWithStart: {
              workflowType: 'entityRecorder',
              taskQueue,
              workflowId: 'order/{payload.order}',
              input: { continueAfter: 2 } satisfies EntityRecorderInput,
            },
          },
        ],
      }),
    );
    const order = randomUUID();
    const [e1, e2, e3] = ['e1', 'e2', 'e3'].map((e) => `${e}-${randomUUID()}`);
    for (const e of [e1, e2]) assert.equal((await deliver(endpoint, { order }, e!)).status, 202);
    const handle = temporal.client.workflow.getHandle(`order/${order}`);
    await entityRecord(handle, (r) => r.generation === 1);
    // The provider retries e1; the ingress no longer remembers it and signals the new run.
    const repeat = await deliver(endpoint, { order }, e1!);
    assert.equal(repeat.status, 202);
    assert.equal(repeat.body.duplicate, false, 'the ingress sent it again');
    assert.equal((await deliver(endpoint, { order }, e3!)).status, 202);
    const record = await entityRecord(handle, (r) => r.handled.length >= 1 && r.dropped >= 1);
    assert.equal(record.generation, 1);
    assert.deepEqual(
      record.handled.map((h) => h.eventId),
      [e3],
    );
    assert.equal(record.dropped, 1);
    await handle.terminate();
  });
});
