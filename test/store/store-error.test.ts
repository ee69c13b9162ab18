/**
 * classifyStoreError: one case per SQLSTATE class (a unit test over error shapes as `pg` raises
 * them), then each refusal provoked for real on PostgreSQL and on the embedded PGlite.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { classifyStoreError } from '../../src/store/store-error';
import { createTestStore, describeEachBackend, type TestStore } from '../support/db';

const pgError = (code: string, extra: Record<string, unknown> = {}) =>
  Object.assign(new Error(`error ${code}`), { code, ...extra });

describe('classifyStoreError', () => {
  test('22xxx (data exception) → 400 invalid_value naming the field', () => {
    const verdict = classifyStoreError(pgError('22021'), 'Secret spec.stringData');
    assert.equal(verdict.kind, 'client');
    assert.equal(verdict.status, 400);
    assert.equal(verdict.code, 'invalid_value');
    assert.match(verdict.message, /^Secret spec\.stringData contains .*NUL/);
    assert.match(classifyStoreError(pgError('22P05'), 'spec').message, /^spec .*\\u0000/);
    assert.equal(classifyStoreError(pgError('22003')).status, 400);
  });

  test('23xxx (integrity constraint) → 409 for unique and foreign keys, 400 otherwise; the column is named', () => {
    assert.deepEqual(
      [classifyStoreError(pgError('23505')).status, classifyStoreError(pgError('23503')).status],
      [409, 409],
    );
    const notNull = classifyStoreError(pgError('23502', { column: 'event_id' }), 'delivery');
    assert.equal(notNull.status, 400);
    assert.match(notNull.message, /^delivery \(event_id\) is required/);
  });

  test('54xxx (program limit) → 413 value_too_large', () => {
    const verdict = classifyStoreError(pgError('54001'), 'Webhook spec');
    assert.equal(verdict.status, 413);
    assert.equal(verdict.code, 'value_too_large');
    assert.match(verdict.message, /nested too deeply/);
  });

  test('08xxx, 53xxx, 57xxx and retryable states → 503 store_unavailable', () => {
    for (const code of ['08006', '08001', '53300', '57P01', '57P03', '57014', '40001', '40P01', '55P03', 'XX000'])
      assert.equal(classifyStoreError(pgError(code)).status, 503, code);
  });

  test('socket errors and pool timeouts → 503; an AggregateError of refused addresses too', () => {
    for (const err of [
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }),
      new Error('timeout exceeded when trying to connect'),
      new Error('Connection terminated unexpectedly'),
      new Error('Cannot use a pool after calling end on the pool'),
      Object.assign(new AggregateError([Object.assign(new Error('x'), { code: 'ECONNREFUSED' })], 'failed'), {}),
    ])
      assert.equal(classifyStoreError(err).kind, 'unavailable', err.message);
  });

  test('anything else (42xxx, a plain bug) → 500 internal_error without detail', () => {
    const syntax = classifyStoreError(pgError('42601'));
    assert.equal(syntax.status, 500);
    assert.equal(classifyStoreError(new TypeError('x is undefined')).code, 'internal_error');
    assert.doesNotMatch(classifyStoreError(new TypeError('x is undefined')).message, /undefined/);
  });
});

describeEachBackend('store refusals are the request’s fault', (backend) => {
  let store: TestStore;
  before(async () => {
    store = await createTestStore({ databaseUrl: backend.databaseUrl });
  });
  after(() => store.dropSchema());

  const provoke = async (sql: string, params: unknown[]) => {
    try {
      await store.db.query(sql, params);
    } catch (err) {
      return { state: (err as { code?: string }).code, verdict: classifyStoreError(err, 'field') };
    }
    assert.fail(`${sql} was accepted`);
  };

  test('\\u0000 in jsonb → 22P05 → 400', async () => {
    const { state, verdict } = await provoke('SELECT $1::jsonb', ['{"a":"\\u0000"}']);
    assert.equal(state, '22P05');
    assert.equal(verdict.status, 400);
  });

  test('NUL in text → 22021 → 400', async () => {
    const { state, verdict } = await provoke('SELECT $1::text', ['a\u0000b']);
    assert.equal(state, '22021');
    assert.equal(verdict.status, 400);
  });

  test('a duplicate key → 23505 → 409', async () => {
    await store.webhooks.apply('default', 'dup', { profile: 'generic' });
    const { state, verdict } = await provoke(
      `INSERT INTO webhooks (id, namespace, name, spec, endpoint_id) VALUES (gen_random_uuid(), 'default', 'dup', '{}', 'x')`,
      [],
    );
    assert.equal(state, '23505');
    assert.equal(verdict.status, 409);
  });

  test('more arguments than a function takes → 54023 → 413', async () => {
    const { state, verdict } = await provoke(`SELECT concat(${Array(101).fill('1').join(', ')})`, []);
    assert.equal(state, '54023');
    assert.equal(verdict.status, 413);
  });

  // PGlite has no stack-depth check: 10,000 levels of jsonb return no row and leave the session
  // broken, which is why bodies are depth-checked before they reach the store.
  test('a jsonb nested past the parser’s stack → 54001 → 413', { skip: backend.name === 'pglite' }, async () => {
    const { state, verdict } = await provoke('SELECT $1::jsonb', ['['.repeat(200_000) + ']'.repeat(200_000)]);
    assert.equal(state, '54001');
    assert.equal(verdict.status, 413);
  });
});
