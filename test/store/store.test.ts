import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, test } from 'node:test';
import { silentLogger } from '../../src/logger';
import { createStore, describeDatabaseUrl, withTransaction } from '../../src/store';
import { createTestStore, DATABASE_URL, describeEachBackend, type TestStore } from '../support/db';

describeEachBackend('createStore', (backend) => {
  let store: TestStore;

  before(async () => {
    store = await createTestStore({ databaseUrl: backend.databaseUrl });
  });
  after(async () => {
    await store?.dropSchema();
  });

  test('ping answers true while the database answers', async () => {
    assert.equal(await store.ping(1000), true);
  });

  test('the pool is 10 wide on PostgreSQL and 1 on the embedded database', () => {
    assert.equal(store.db.options.max, backend.name === 'pglite' ? 1 : 10);
  });

  test('two test stores do not see each other', async () => {
    const other = await createTestStore({ databaseUrl: backend.databaseUrl });
    try {
      await store.webhooks.apply('default', 'mine', { profile: 'generic' });
      assert.equal(await other.webhooks.get('default', 'mine'), null);
      assert.notEqual(other.schema, store.schema);
    } finally {
      await other.dropSchema();
    }
  });

  test('withTransaction commits on success and rolls back on error', async () => {
    await withTransaction(store.db, async (client) => {
      await client.query(`INSERT INTO secrets (namespace, name, data) VALUES ('tx', 'kept', '{}')`);
    });
    await assert.rejects(
      withTransaction(store.db, async (client) => {
        await client.query(`INSERT INTO secrets (namespace, name, data) VALUES ('tx', 'dropped', '{}')`);
        throw new Error('boom');
      }),
      /boom/,
    );
    assert.deepEqual(
      (await store.secrets.list('tx')).map((s) => s.name),
      ['kept'],
    );
  });

  test('ping answers false after close, and close is idempotent', async () => {
    const closing = await createTestStore({ databaseUrl: backend.databaseUrl });
    await closing.dropSchema();
    assert.equal(await closing.ping(500), false);
    await closing.close();
  });
});

test('an unreachable DATABASE_URL fails fast with host:port, no password, and what to do', async () => {
  const started = Date.now();
  await assert.rejects(
    createStore({ databaseUrl: 'postgres://app:hunter2@127.0.0.1:1/prod', logger: silentLogger }),
    (err: Error & { code?: string; status?: number }) => {
      assert.equal(err.code, 'database_unreachable');
      assert.equal(err.status, 503);
      assert.match(err.message, /127\.0\.0\.1:1\/prod/);
      assert.match(err.message, /DATABASE_URL/);
      assert.ok(!err.message.includes('hunter2'));
      return true;
    },
  );
  assert.ok(Date.now() - started < 2000);
});

test('a server that never answers times out within the connection timeout', async () => {
  const sockets = new Set<net.Socket>();
  const silent = net.createServer((socket) => sockets.add(socket));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const port = (silent.address() as net.AddressInfo).port;
  try {
    const started = Date.now();
    await assert.rejects(
      createStore({
        databaseUrl: `postgres://root@127.0.0.1:${port}/test`,
        connectionTimeoutMs: 300,
        logger: silentLogger,
      }),
      {
        code: 'database_unreachable',
      },
    );
    assert.ok(Date.now() - started < 2000);
  } finally {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  }
});

test('a bad encryption key is reported before connecting', async () => {
  await assert.rejects(createStore({ databaseUrl: DATABASE_URL, encryptionKey: 'short', logger: silentLogger }), {
    code: 'secret_key_invalid',
  });
});

test('describeDatabaseUrl drops credentials', () => {
  assert.equal(
    describeDatabaseUrl('postgres://u:secret@db.example.com:6543/app?sslmode=require'),
    'db.example.com:6543/app',
  );
  assert.equal(describeDatabaseUrl('postgres://db/app'), 'db:5432/app');
});
