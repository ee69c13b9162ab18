/**
 * Applies the numbered SQL files in `migrations/` (`NNN_name.sql`) that the database has not
 * seen, in order, each in its own transaction, and records them in `tempohook_migrations`.
 * Idempotent, and safe when several processes start at once: every step holds a transaction
 * advisory lock keyed by the schema (PGlite supports it too; it is a single session anyway).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { PoolClient } from 'pg';
import { TempohookError } from '../errors';
import type { Db } from './types';

/** One migration file. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

export interface MigrateResult {
  /** Names of the files applied by this call, in order. */
  applied: string[];
  /** The highest version now recorded. */
  version: number;
}

const FILE_NAME = /^(\d+)_([A-Za-z0-9_-]+)\.sql$/;

/**
 * Where the SQL files are: next to this module (`src/store` under tsx), else in the package's
 * `src/store/migrations` (compiled `dist/store`, which has no .sql files of its own).
 */
export function findMigrationsDir(): string {
  const candidates = [
    path.join(__dirname, 'migrations'),
    path.resolve(__dirname, '..', '..', 'src', 'store', 'migrations'),
  ];
  const found = candidates.find((dir) => fs.existsSync(dir));
  if (!found) {
    throw new TempohookError(
      'migrations_missing',
      `No SQL migrations found (looked in ${candidates.join(' and ')}); reinstall tempohook: the package must ship src/store/migrations.`,
      500,
    );
  }
  return found;
}

/** Reads and orders the migration files of `dir`. */
export function loadMigrations(dir: string = findMigrationsDir()): Migration[] {
  const migrations = fs
    .readdirSync(dir)
    .filter((file) => file.endsWith('.sql'))
    .map((file) => {
      const match = FILE_NAME.exec(file);
      if (!match)
        throw new TempohookError(
          'migration_invalid',
          `Migration file ${file} in ${dir} must be named NNN_name.sql.`,
          500,
        );
      const sql = fs.readFileSync(path.join(dir, file), 'utf8');
      return { version: Number(match[1]), name: file, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    })
    .sort((a, b) => a.version - b.version);
  for (let i = 1; i < migrations.length; i++) {
    if (migrations[i]!.version === migrations[i - 1]!.version) {
      throw new TempohookError(
        'migration_invalid',
        `Migrations ${migrations[i - 1]!.name} and ${migrations[i]!.name} share version ${migrations[i]!.version}.`,
        500,
      );
    }
  }
  return migrations;
}

const CREATE_MIGRATIONS_TABLE = `
  CREATE TABLE IF NOT EXISTS tempohook_migrations (
    version    integer     PRIMARY KEY,
    name       text        NOT NULL,
    checksum   text        NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
  )`;

/** Brings the schema of `db` (its `search_path`) up to date. */
export async function migrate(db: Db, options: { migrations?: Migration[] } = {}): Promise<MigrateResult> {
  const migrations = options.migrations ?? loadMigrations();
  const client = await db.connect();
  let failed = false;
  try {
    const schema = (await client.query<{ schema: string | null }>('SELECT current_schema() AS schema')).rows[0]?.schema;
    if (!schema) {
      throw new TempohookError(
        'schema_missing',
        'No schema on the search_path exists, so there is nowhere to create tables; create the schema or fix search_path.',
        500,
      );
    }
    const lockKey = advisoryLockKey(`tempohook:migrate:${schema}`);

    const done = await locked(client, lockKey, async () => {
      await client.query(CREATE_MIGRATIONS_TABLE);
      const rows = await client.query<{ version: number }>('SELECT version FROM tempohook_migrations');
      return new Set(rows.rows.map((row) => row.version));
    });

    const applied: string[] = [];
    for (const migration of migrations) {
      if (done.has(migration.version)) continue;
      try {
        const ran = await locked(client, lockKey, async () => {
          // Another process may have applied it while this one waited for the lock.
          const seen = await client.query('SELECT 1 FROM tempohook_migrations WHERE version = $1', [migration.version]);
          if (seen.rowCount) return false;
          await client.query(migration.sql);
          await client.query('INSERT INTO tempohook_migrations (version, name, checksum) VALUES ($1, $2, $3)', [
            migration.version,
            migration.name,
            migration.checksum,
          ]);
          return true;
        });
        if (ran) applied.push(migration.name);
        done.add(migration.version);
      } catch (err) {
        if (err instanceof TempohookError) throw err;
        throw new TempohookError(
          'migration_failed',
          `Database migration ${migration.name} failed in schema "${schema}": ${(err as Error).message}. It was rolled back; fix the cause and start again.`,
          500,
          { cause: (err as { code?: string }).code },
        );
      }
    }
    return { applied, version: Math.max(0, ...done) };
  } catch (err) {
    failed = true;
    throw err;
  } finally {
    // After a failure the connection's state is unknown: discard it rather than reuse it.
    client.release(failed);
  }
}

async function locked<T>(client: PoolClient, lockKey: string, fn: () => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [lockKey]);
    const result = await fn();
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/** A stable signed 64-bit key (as a string) for `pg_advisory_xact_lock`. */
function advisoryLockKey(name: string): string {
  return createHash('sha256').update(name).digest().readBigInt64BE(0).toString();
}
