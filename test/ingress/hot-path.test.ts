/**
 * What a delivery costs the store and Temporal, counted on a wrapped pool and a client with a
 * counting interceptor: one statement before the start (the reservation) and one after (the
 * outcome and the webhook's status); a repeat of an event whose run exists is answered from the
 * reservation without calling Temporal; unknown endpoints and failed signatures read nothing once
 * the lookups are cached.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { Client } from '@temporalio/client';
import type { Store } from '../../src/store';
import { createTestStore, type TestStore } from '../support/db';
import { applyGenericWebhook, genericDeliveryHeaders, startTestIngress, type TestIngress } from '../support/ingress';
import { getTestTemporal, uniqueTaskQueue } from '../support/temporal';

const SECRET = 'hot-path-secret';

/** Records every statement the store's pool runs. */
function countStatements(store: Store) {
  const statements: string[] = [];
  const query = store.db.query.bind(store.db) as (...args: unknown[]) => unknown;
  (store.db as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
    const first = args[0];
    statements.push(typeof first === 'string' ? first : String((first as { text?: string })?.text));
    return query(...args);
  };
  return statements;
}

/** A short name for a statement of the delivery path. */
function describeStatement(sql: string): string {
  if (/INSERT INTO dedup_keys/.test(sql)) return 'reserve';
  if (/UPDATE deliveries/.test(sql) && /UPDATE webhooks/.test(sql)) return 'complete + webhook status';
  if (/UPDATE deliveries/.test(sql)) return 'complete';
  if (/FROM webhooks/.test(sql) && !/INSERT/.test(sql)) return 'webhook lookup';
  if (/FROM secrets/.test(sql)) return 'secret lookup';
  if (/INSERT INTO deliveries/.test(sql)) return 'refusals batch';
  return sql.replace(/\s+/g, ' ').slice(0, 60);
}

describe('the delivery hot path', () => {
  let store: TestStore;
  let ingress: TestIngress;
  let statements: string[];
  const temporalCalls: string[] = [];
  let path: string;
  const taskQueue = uniqueTaskQueue('hot-path');

  before(async () => {
    store = await createTestStore();
    const temporal = await getTestTemporal();
    const count = (name: string) => async (input: unknown, next: (input: unknown) => Promise<unknown>) => {
      temporalCalls.push(name);
      return next(input);
    };
    const client = new Client({
      connection: temporal.client.connection,
      interceptors: {
        workflow: [{ start: count('start'), describe: count('describe'), signal: count('signal') } as never],
      },
    });
    ingress = await startTestIngress(store, client);
    path = await applyGenericWebhook(ingress, 'hot', { secretName: 'hot', secret: SECRET, taskQueue });
    statements = countStatements(store);
  });

  after(async () => {
    await ingress?.close();
    await store?.dropSchema();
  });

  const deliver = (eventId: string, secret = SECRET) => {
    const body = JSON.stringify({ eventId });
    return ingress.deliver(path, body, genericDeliveryHeaders(body, eventId, { secret }));
  };
  const take = () => statements.splice(0).map(describeStatement);

  test('a first delivery costs one statement before the start and one after; a repeat the same and no Temporal call', async () => {
    assert.equal((await deliver(`warm-${randomUUID()}`)).status, 202); // loads the webhook and the secret
    take();
    temporalCalls.splice(0);

    const eventId = `evt-${randomUUID()}`;
    const first = await deliver(eventId);
    assert.equal(first.status, 202, JSON.stringify(first.body));
    assert.equal(first.body.duplicate, false);
    assert.deepEqual(take(), ['reserve', 'complete + webhook status']);
    assert.deepEqual(temporalCalls.splice(0), ['start']);

    const repeat = await deliver(eventId);
    assert.equal(repeat.status, 202, JSON.stringify(repeat.body));
    assert.equal(repeat.body.duplicate, true);
    assert.equal(repeat.body.runId, first.body.runId);
    assert.deepEqual(take(), ['reserve', 'complete + webhook status']);
    assert.deepEqual(temporalCalls, []);

    const history = await store.db.query<{ outcome: string; n: number }>(
      `SELECT outcome, count(*)::int AS n FROM deliveries WHERE event_id = $1 GROUP BY outcome ORDER BY outcome`,
      [eventId],
    );
    assert.deepEqual(history.rows, [
      { outcome: 'duplicate', n: 1 },
      { outcome: 'started', n: 1 },
    ]);
    const status = await ingress.api('GET', '/v1/webhooks/hot');
    assert.equal(status.body.status.deliveriesAccepted, 3);
    take();
  });

  test('unknown endpoints and failed signatures read no webhook or secret once cached; their rows go in batches', async () => {
    const unknown = `/v1/webhook-deliveries/${'u'.repeat(43)}`;
    for (let i = 0; i < 3; i++) assert.equal((await ingress.deliver(unknown, '{}', {})).status, 404);
    assert.deepEqual(take(), ['webhook lookup']);

    const answers = await Promise.all(Array.from({ length: 32 }, (_, i) => deliver(`bad-${i}`, 'wrong-secret')));
    assert.ok(answers.every((answer) => answer.status === 401));
    await new Promise((r) => setTimeout(r, 200)); // the last batch of refusals
    const seen = take();
    assert.ok(
      seen.every((statement) => statement === 'refusals batch'),
      seen.join('; '),
    );
    // Fewer statements than refusals: how few depends on how the 32 arrive on a loaded machine
    // (24 seen under two parallel suites); the writer's own test pins the coalescing down.
    assert.ok(seen.length >= 1 && seen.length < 32, `${seen.length} batches for 32 refusals`);
  });
});
