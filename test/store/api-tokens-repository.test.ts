/** API tokens and the audit log in the store, on PostgreSQL and PGlite: values kept only as hashes, expiry on the database clock, keyset paging, batched purge. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { hashApiToken, looksLikeApiToken } from '../../src/store';
import { createTestStore, describeEachBackend, type TestStore } from '../support/db';

describeEachBackend('API tokens and audit log repositories', (backend) => {
  let store: TestStore;

  before(async () => {
    store = await createTestStore({ databaseUrl: backend.databaseUrl });
  });
  after(async () => {
    await store?.dropSchema();
  });

  test('a created token authenticates by its value; the table holds only its hash', async () => {
    const { record, token } = await store.apiTokens.create({
      name: 'ci',
      role: 'operate',
      namespaces: ['team-a', 'team-b'],
      expiresAt: null,
      createdBy: 'admin',
    });
    assert.ok(looksLikeApiToken(token));
    assert.equal(record.prefix, token.slice(0, 10));
    assert.deepEqual(record.namespaces, ['team-a', 'team-b']);
    const found = await store.apiTokens.authenticate(token);
    assert.equal(found?.name, 'ci');
    assert.equal(found?.role, 'operate');
    // Its last character changed (to one it is not): another value, refused.
    const altered = `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
    assert.equal(await store.apiTokens.authenticate(altered), null);
    const rows = JSON.stringify((await store.db.query('SELECT * FROM api_tokens')).rows);
    assert.ok(!rows.includes(token.slice(4)));
    assert.ok(rows.includes(hashApiToken(token)));
    await assert.rejects(
      store.apiTokens.create({ name: 'ci', role: 'read', namespaces: null, expiresAt: null, createdBy: 'admin' }),
      (err: { code?: string; status?: number }) => err.code === 'already_exists' && err.status === 409,
    );
  });

  test('an expired token does not authenticate; a deleted one neither', async () => {
    const past = await store.apiTokens.create({
      name: 'old',
      role: 'read',
      namespaces: null,
      expiresAt: new Date(Date.now() - 1000),
      createdBy: 'admin',
    });
    assert.equal(await store.apiTokens.authenticate(past.token), null);
    assert.equal((await store.apiTokens.get('old'))?.namespaces, null);
    const soon = await store.apiTokens.create({
      name: 'soon',
      role: 'admin',
      namespaces: null,
      expiresAt: new Date(Date.now() + 60_000),
      createdBy: 'ci',
    });
    assert.equal((await store.apiTokens.authenticate(soon.token))?.createdBy, 'ci');
    assert.deepEqual(
      (await store.apiTokens.list()).map((t) => t.name),
      ['ci', 'old', 'soon'],
    );
    assert.equal(await store.apiTokens.delete('soon'), true);
    assert.equal(await store.apiTokens.delete('soon'), false);
    assert.equal(await store.apiTokens.authenticate(soon.token), null);
  });

  test('audit entries are listed newest first, filtered and keyset-paged, and purged in batches', async () => {
    for (let i = 0; i < 5; i++) {
      // Entries are ordered by time (then by random id): PGlite's clock ticks in milliseconds, so keep them apart.
      await new Promise((r) => setTimeout(r, 3));
      await store.auditLog.record({
        actor: i % 2 ? 'ci' : 'admin',
        method: 'PUT',
        route: '/v1/webhooks/:name',
        resource: `webhooks/hook-${i}`,
        namespace: 'team-a',
        status: 200,
        requestId: `req-${i}`,
      });
    }
    const first = await store.auditLog.list({ limit: 2 });
    assert.deepEqual(
      first.items.map((e) => e.resource),
      ['webhooks/hook-4', 'webhooks/hook-3'],
    );
    const second = await store.auditLog.list({ limit: 2, cursor: first.nextCursor! });
    assert.deepEqual(
      second.items.map((e) => e.resource),
      ['webhooks/hook-2', 'webhooks/hook-1'],
    );
    const ci = await store.auditLog.list({ limit: 10 }, { actor: 'ci' });
    assert.deepEqual(
      ci.items.map((e) => e.requestId),
      ['req-3', 'req-1'],
    );
    assert.equal((await store.auditLog.list({ limit: 10 }, { until: new Date(Date.now() - 60_000) })).items.length, 0);
    assert.equal((await store.auditLog.list({ limit: 10 }, { namespace: 'team-b' })).items.length, 0);
    assert.equal(await store.auditLog.purge(new Date(Date.now() + 1000), 2), 5);
    assert.equal((await store.auditLog.list({ limit: 10 })).items.length, 0);
  });
});
