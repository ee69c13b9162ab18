import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { silentLogger } from '../../src/logger';
import { createStore, isEmbeddedPostgresUrl, startEmbeddedPostgres, type EmbeddedPostgres } from '../../src/store';

describe('startEmbeddedPostgres', () => {
  let tempDir: string;
  let dataDir: string;
  let embedded: EmbeddedPostgres;

  before(async () => {
    tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tempohook-embedded-'));
    dataDir = path.join(tempDir, 'pglite');
    embedded = await startEmbeddedPostgres({ dataDir, logger: silentLogger });
  });
  after(async () => {
    await embedded?.stop();
    fs.rmSync(tempDir, { recursive: true, force: true });
  });

  const newPool = (max = 5) => {
    const pool = new pg.Pool({ connectionString: embedded.url, max });
    pool.on('error', () => undefined);
    return pool;
  };

  test('serves a postgres:// URL on 127.0.0.1 that createStore recognises', () => {
    assert.match(embedded.url, /^postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres$/);
    assert.equal(isEmbeddedPostgresUrl(embedded.url), true);
    assert.equal(isEmbeddedPostgresUrl('postgres://root@127.0.0.1:5432/test'), false);
  });

  test('a second start on the same data directory is refused while the first runs', async () => {
    await assert.rejects(startEmbeddedPostgres({ dataDir, logger: silentLogger }), {
      code: 'embedded_database_in_use',
    });
  });

  test('concurrent extended-protocol queries from many connections get their own results', async () => {
    const pools = [newPool(5), newPool(5), newPool(5)];
    try {
      let wrong = 0;
      await Promise.all(
        Array.from({ length: 300 }, async (_, i) => {
          const pool = pools[i % pools.length]!;
          if (i % 2 === 0) {
            const r = await pool.query(`SELECT $1::int + ${i} AS a${i}`, [i]);
            if (r.rows[0]?.[`a${i}`] !== 2 * i) wrong++;
          } else {
            const r = await pool.query(`SELECT $1::text || 'x' AS b${i}, $2::int AS c`, [`s${i}`, i]);
            if (r.rows[0]?.[`b${i}`] !== `s${i}x` || r.rows[0]?.c !== i) wrong++;
          }
        }),
      );
      assert.equal(wrong, 0);
    } finally {
      await Promise.all(pools.map((pool) => pool.end()));
    }
  });

  test('a transaction holds the session: another connection waits until it commits', async () => {
    const pool = newPool(2);
    const a = await pool.connect();
    const b = await pool.connect();
    try {
      await a.query('CREATE TABLE IF NOT EXISTS turn_test (x int)');
      await a.query('BEGIN');
      await a.query('INSERT INTO turn_test VALUES (1)');
      let answered = false;
      const waiting = b.query<{ n: number }>('SELECT count(*)::int AS n FROM turn_test').then((r) => {
        answered = true;
        return r.rows[0]!.n;
      });
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(answered, false, "b must not run inside a's transaction");
      await a.query('COMMIT');
      assert.equal(await waiting, 1);
    } finally {
      a.release();
      b.release();
      await pool.end();
    }
  });

  test('a connection that closes inside a transaction is rolled back and frees the session', async () => {
    const pool = newPool(2);
    try {
      await pool.query('CREATE TABLE IF NOT EXISTS rollback_test (x int)');
      const a = await pool.connect();
      await a.query('BEGIN');
      await a.query('INSERT INTO rollback_test VALUES (1)');
      a.release(true); // destroys the connection mid-transaction
      const r = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM rollback_test');
      assert.equal(r.rows[0]!.n, 0);
    } finally {
      await pool.end();
    }
  });

  test('reconnecting right after a close works', async () => {
    for (let i = 0; i < 20; i++) {
      const client = new pg.Client({ connectionString: embedded.url });
      await client.connect();
      await client.query('SELECT 1');
      await client.end();
    }
  });

  test('data persists across stop and start', async () => {
    const store = await createStore({ databaseUrl: embedded.url, logger: silentLogger });
    const { webhook } = await store.webhooks.apply('default', 'persisted', { profile: 'generic' });
    await store.close();
    await embedded.stop();
    assert.equal(isEmbeddedPostgresUrl(embedded.url), false);

    embedded = await startEmbeddedPostgres({ dataDir, logger: silentLogger });
    const reopened = await createStore({ databaseUrl: embedded.url, logger: silentLogger });
    try {
      assert.equal((await reopened.webhooks.get('default', 'persisted'))?.endpointId, webhook.endpointId);
    } finally {
      await reopened.close();
    }
  });
});
