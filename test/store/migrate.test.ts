import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Pool } from 'pg';
import { silentLogger } from '../../src/logger';
import {
  createPool,
  findMigrationsDir,
  loadMigrations,
  migrate,
  quoteIdentifier,
  type Migration,
} from '../../src/store';
import { describeEachBackend, randomSchemaName } from '../support/db';

describeEachBackend('migrate', (backend) => {
  async function withFreshSchema(fn: (pools: [Pool, Pool], schema: string) => Promise<void>): Promise<void> {
    const schema = randomSchemaName();
    const pools: [Pool, Pool] = [
      createPool(backend.databaseUrl, { schema, max: 2, logger: silentLogger }),
      createPool(backend.databaseUrl, { schema, max: 2, logger: silentLogger }),
    ];
    try {
      await fn(pools, schema);
    } finally {
      await pools[0].query(`DROP SCHEMA IF EXISTS ${quoteIdentifier(schema)} CASCADE`).catch(() => undefined);
      await Promise.all(pools.map((pool) => pool.end()));
    }
  }

  async function tablesOf(pool: Pool, schema: string): Promise<string[]> {
    const result = await pool.query<{ table_name: string }>(
      'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name',
      [schema],
    );
    return result.rows.map((row) => row.table_name);
  }

  test('applies every migration once and records it; a second run applies nothing', async () => {
    await withFreshSchema(async ([pool], schema) => {
      const all = loadMigrations();
      const first = await migrate(pool);
      assert.deepEqual(
        first.applied,
        all.map((m) => m.name),
      );
      assert.equal(first.version, all[all.length - 1]!.version);
      // Each feature's migration adds its own tables; check each one's, so parallel features merge cleanly.
      const tables = await tablesOf(pool, schema);
      for (const table of ['dedup_keys', 'deliveries', 'secrets', 'tempohook_migrations', 'webhooks'])
        assert.ok(tables.includes(table), `${table} in ${tables.join(', ')}`);
      for (const table of ['rate_limit_windows'])
        assert.ok(tables.includes(table), `${table} (002_rate_limits) in ${tables.join(', ')}`);
      for (const table of ['delivery_payloads', 'wait_path_sets', 'waits'])
        assert.ok(tables.includes(table), `${table} (003_waits) in ${tables.join(', ')}`);
      for (const table of ['subscriptions', 'subscription_status', 'notification_deliveries', 'notification_attempts'])
        assert.ok(tables.includes(table), `${table} (004_outbound) in ${tables.join(', ')}`);
      const second = await migrate(pool);
      assert.deepEqual(second.applied, []);
      assert.equal(second.version, first.version);
      const recorded = await pool.query('SELECT version, name, checksum FROM tempohook_migrations ORDER BY version');
      assert.deepEqual(
        recorded.rows,
        all.map((m) => ({ version: m.version, name: m.name, checksum: m.checksum })),
      );
    });
  });

  test('two migrate calls at once apply each migration exactly once', async () => {
    await withFreshSchema(async ([a, b]) => {
      const [ra, rb] = await Promise.all([migrate(a), migrate(b)]);
      const names = loadMigrations().map((m) => m.name);
      assert.deepEqual([...ra.applied, ...rb.applied].sort(), [...names].sort());
      const count = await a.query<{ n: number }>('SELECT count(*)::int AS n FROM tempohook_migrations');
      assert.equal(count.rows[0]!.n, names.length);
    });
  });

  test('a failing migration is rolled back, not recorded, and named in the error', async () => {
    await withFreshSchema(async ([pool], schema) => {
      const migrations: Migration[] = [
        { version: 1, name: '001_good.sql', sql: 'CREATE TABLE good (x int);', checksum: 'a' },
        {
          version: 2,
          name: '002_bad.sql',
          sql: 'CREATE TABLE half (x int); SELECT no_such_function();',
          checksum: 'b',
        },
      ];
      await assert.rejects(migrate(pool, { migrations }), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'migration_failed');
        assert.match(err.message, /002_bad\.sql/);
        assert.match(err.message, /no_such_function/);
        return true;
      });
      assert.deepEqual(await tablesOf(pool, schema), ['good', 'tempohook_migrations']);
      const recorded = await pool.query('SELECT version FROM tempohook_migrations');
      assert.deepEqual(recorded.rows, [{ version: 1 }]);
    });
  });
});

test('the migration files are found next to the module and ordered by number', () => {
  const dir = findMigrationsDir();
  assert.match(dir, /src[/\\]store[/\\]migrations$/);
  const migrations = loadMigrations(dir);
  assert.ok(migrations.length >= 1);
  assert.equal(migrations[0]!.name, '001_initial.sql');
  for (let i = 1; i < migrations.length; i++) assert.ok(migrations[i]!.version > migrations[i - 1]!.version);
});
