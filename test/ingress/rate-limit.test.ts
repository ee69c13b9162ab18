/**
 * The `rate-limit` condition and resource changes over real HTTP, with several ingress replicas:
 * counters live in Postgres, so every replica sees the same count at once; webhooks and secrets
 * are cached in each replica and dropped when the change feed reports a change.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { silentLogger } from '../../src/logger';
import { createStore } from '../../src/store';
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

  test('Secret updates, rotation, deletes and a deleted webhook reach three replicas with their own stores within a second', async () => {
    // Replicas B and C each have a store of their own on the same schema: their caches learn of
    // changes through the database (LISTEN/NOTIFY), as separate processes do.
    const stores = await Promise.all(
      [0, 1].map(() =>
        createStore({ databaseUrl: fixture.store.databaseUrl, schema: fixture.store.schema, logger: silentLogger }),
      ),
    );
    const [b, c] = await Promise.all(stores.map((store) => startTestIngress(store, fixture.temporal.client)));
    const replicas = { A: replicaA, B: b!, C: c! };
    try {
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
      const put = async (replica: TestIngress, name: string, value: string) =>
        assert.ok([200, 201].includes((await replica.api('PUT', `/v1/secrets/${name}`, secretBody({ value }))).status));
      await put(replicaA, 'rotating-secret', 'first-value');
      // Every replica caches the webhook and the secret.
      for (const replica of Object.values(replicas))
        assert.equal((await deliver(replica, path, 'first-value')).status, 202);

      /** Each replica answers `expected` (status, or status and code) for `secret`: at once on `writer`, within a second elsewhere. */
      const expectEverywhere = async (writer: TestIngress, secret: string, expected: number, code?: string) => {
        for (const [name, replica] of Object.entries(replicas)) {
          const started = Date.now();
          for (;;) {
            const answer = await deliver(replica, path, secret);
            if (answer.status === expected && (code === undefined || answer.body?.error?.code === code)) break;
            assert.notEqual(
              replica,
              writer,
              `replica ${name} made the change but answered ${answer.status} for ${secret}`,
            );
            assert.ok(
              Date.now() - started < 1000,
              `replica ${name} still answers ${answer.status} for ${secret} after 1 s`,
            );
            await new Promise((r) => setTimeout(r, 25));
          }
        }
      };

      // Update on B.
      await put(b!, 'rotating-secret', 'second-value');
      await expectEverywhere(b!, 'second-value', 202);
      await expectEverywhere(b!, 'first-value', 401, 'signature_mismatch');

      // Rotation on C: a second reference, so both values verify.
      await put(c!, 'rotating-next', 'third-value');
      const rotated = await c!.api(
        'PUT',
        '/v1/webhooks/rotating',
        webhookBody({
          profile: 'generic',
          secretRef: [
            { name: 'rotating-secret', key: 'value' },
            { name: 'rotating-next', key: 'value' },
          ],
          start: { workflowType: 'weeklyReport', taskQueue },
        }),
      );
      assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
      await expectEverywhere(c!, 'third-value', 202);
      await expectEverywhere(c!, 'second-value', 202);

      // Deletes on A: the old value, then the new one.
      assert.equal((await replicaA.api('DELETE', '/v1/secrets/rotating-secret')).status, 200);
      await expectEverywhere(replicaA, 'second-value', 401, 'signature_mismatch');
      await expectEverywhere(replicaA, 'third-value', 202);
      assert.equal((await replicaA.api('DELETE', '/v1/secrets/rotating-next')).status, 200);
      await expectEverywhere(replicaA, 'third-value', 401, 'secret_unavailable');

      // A deleted webhook: its endpoint is unknown everywhere.
      assert.equal((await b!.api('DELETE', '/v1/webhooks/rotating')).status, 200);
      await expectEverywhere(b!, 'third-value', 404, 'endpoint_not_found');
    } finally {
      await Promise.all([b?.close(), c?.close()]);
      await Promise.all(stores.map((store) => store.close()));
    }
  });
});
