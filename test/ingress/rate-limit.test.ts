/**
 * The `rate-limit` condition and Secret updates over real HTTP, with two ingress replicas on one
 * store: counters and secrets live in Postgres, so both replicas see the same state at once.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { startIngressFixture, type IngressFixture } from '../support/fixture';
import {
  genericDeliveryHeaders,
  secretBody,
  startTestIngress,
  webhookBody,
  type TestIngress,
} from '../support/ingress';
import { uniqueTaskQueue } from '../support/temporal';

const SECRET = 'rate-limit-test-secret';

describe('shared state across ingress replicas', () => {
  let fixture: IngressFixture;
  let replicaA: TestIngress;
  let replicaB: TestIngress;
  const taskQueue = uniqueTaskQueue('rate-limit');

  before(async () => {
    fixture = await startIngressFixture(taskQueue);
    replicaA = fixture.ingress;
    replicaB = await startTestIngress(fixture.store, fixture.temporal.client);
    assert.equal((await replicaA.api('PUT', '/v1/secrets/rl-secret', secretBody({ value: SECRET }))).status, 201);
  });

  after(async () => {
    await replicaB?.close();
    await fixture?.close();
  });

  const deliver = (replica: TestIngress, path: string, secret = SECRET) => {
    const eventId = `evt-${randomUUID()}`;
    const body = JSON.stringify({ n: eventId });
    return replica.deliver(path, body, genericDeliveryHeaders(body, eventId, { secret }));
  };

  test('over quota is 429 with Retry-After on any replica; refused and unauthenticated requests spend nothing', async () => {
    const applied = await replicaA.api(
      'PUT',
      '/v1/webhooks/limited',
      webhookBody({
        profile: 'generic',
        secretRef: { name: 'rl-secret', key: 'value' },
        // A week-long window: no boundary falls inside the test.
        conditions: [
          {
            type: 'rate-limit',
            limits: [
              { period: '7d', quota: 3 },
              { period: '14d', quota: 100 },
            ],
          },
        ],
        start: { workflowType: 'weeklyReport', taskQueue },
      }),
    );
    assert.equal(applied.status, 201, JSON.stringify(applied.body));
    const path = applied.body.status.endpointPath;

    // Bad signatures are refused before the limit is counted.
    for (let i = 0; i < 5; i++) assert.equal((await deliver(replicaA, path, 'wrong-secret')).status, 401);

    const accepted = [await deliver(replicaA, path), await deliver(replicaB, path), await deliver(replicaA, path)];
    assert.deepEqual(
      accepted.map((r) => r.status),
      [202, 202, 202],
      JSON.stringify(accepted.map((r) => r.body)),
    );
    for (const replica of [replicaB, replicaA]) {
      const refused = await deliver(replica, path);
      assert.equal(refused.status, 429, JSON.stringify(refused.body));
      assert.equal(refused.body.error.code, 'rate_limited');
      assert.match(refused.body.error.message, /rate limit of 3 per 7d reached/);
      const retryAfter = Number(refused.headers.get('retry-after'));
      assert.ok(
        Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 7 * 86400,
        `Retry-After ${refused.headers.get('retry-after')}`,
      );
    }

    const counters = await fixture.store.db.query(
      'SELECT period_seconds, hits FROM rate_limit_windows ORDER BY period_seconds',
    );
    assert.deepEqual(counters.rows, [
      { period_seconds: 7 * 86400, hits: 3 },
      { period_seconds: 14 * 86400, hits: 3 },
    ]);
    const history = await replicaA.api('GET', '/v1/webhooks/limited/deliveries?limit=50');
    const limited = history.body.items.filter((d: any) => d.httpStatus === 429);
    assert.equal(limited.length, 2);
    assert.ok(
      limited.every(
        (d: any) =>
          d.outcome === 'rejected' && /rate limit of 3 per 7d/.test(d.reason) && d.eventId?.startsWith('evt-'),
      ),
    );
    const runs = history.body.items.filter((d: any) => d.outcome === 'started');
    assert.equal(runs.length, 3);
  });

  test('a Secret update takes effect on the very next delivery, on every replica', async () => {
    const applied = await replicaA.api(
      'PUT',
      '/v1/webhooks/rotating',
      webhookBody({
        profile: 'generic',
        secretRef: { name: 'rotating-secret', key: 'value' },
        start: { workflowType: 'weeklyReport', taskQueue },
      }),
    );
    assert.equal(applied.status, 201);
    const path = applied.body.status.endpointPath;
    assert.equal(
      (await replicaA.api('PUT', '/v1/secrets/rotating-secret', secretBody({ value: 'first-value' }))).status,
      201,
    );
    assert.equal((await deliver(replicaB, path, 'first-value')).status, 202);

    assert.equal(
      (await replicaA.api('PUT', '/v1/secrets/rotating-secret', secretBody({ value: 'second-value' }))).status,
      200,
    );
    // No wait: replica B reads the new value on its next delivery.
    assert.equal((await deliver(replicaB, path, 'second-value')).status, 202);
    assert.equal((await deliver(replicaB, path, 'first-value')).status, 401);
    assert.equal((await deliver(replicaA, path, 'second-value')).status, 202);

    assert.equal((await replicaB.api('DELETE', '/v1/secrets/rotating-secret')).status, 200);
    const gone = await deliver(replicaA, path, 'second-value');
    assert.equal(gone.status, 401);
    assert.equal(gone.body.error.code, 'secret_unavailable');
  });
});
