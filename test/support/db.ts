/**
 * Real databases for tests. `createTestStore()` gives each caller a fresh random schema on
 * DATABASE_URL (default postgres://root@127.0.0.1:5432/test), so test files run in parallel.
 * `describeEachBackend()` runs a suite on PostgreSQL and on embedded PGlite; pick with
 * TEMPOHOOK_TEST_BACKENDS=postgres|pglite|postgres,pglite (default both).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe } from 'node:test';
import { silentLogger } from '../../src/logger';
import {
  createStore,
  quoteIdentifier,
  startEmbeddedPostgres,
  type CreateStoreOptions,
  type EmbeddedPostgres,
  type Store,
} from '../../src/store';

export const DATABASE_URL = process.env.DATABASE_URL || 'postgres://root@127.0.0.1:5432/test';

export type TestStore = Store & {
  schema: string;
  databaseUrl: string;
  /** Drops the schema with everything in it, then closes the store. */
  dropSchema(): Promise<void>;
};

/** A random schema name, unique per call. */
export function randomSchemaName(): string {
  return `test_${randomBytes(6).toString('hex')}`;
}

/** A migrated store in a schema of its own. */
export async function createTestStore(options: Partial<Omit<CreateStoreOptions, 'schema'>> = {}): Promise<TestStore> {
  const databaseUrl = options.databaseUrl ?? DATABASE_URL;
  const schema = randomSchemaName();
  const store = await createStore({ logger: silentLogger, ...options, databaseUrl, schema });
  return Object.assign(store, {
    schema,
    databaseUrl,
    async dropSchema() {
      try {
        await store.db.query(`DROP SCHEMA IF EXISTS ${quoteIdentifier(schema)} CASCADE`);
      } finally {
        await store.close();
      }
    },
  });
}

export type BackendName = 'postgres' | 'pglite';

export interface TestBackend {
  name: BackendName;
  /** Available once the suite's `before` hooks run. */
  readonly databaseUrl: string;
}

/** The backends selected by TEMPOHOOK_TEST_BACKENDS (default both). */
export function selectedBackends(): BackendName[] {
  const wanted = (process.env.TEMPOHOOK_TEST_BACKENDS ?? 'postgres,pglite').split(',').map((name) => name.trim());
  return (['postgres', 'pglite'] as const).filter((name) => wanted.includes(name));
}

/**
 * Declares `suite` once per backend, as `describe("<title> (postgres)")` etc. For PGlite an
 * embedded server is started in a temporary directory before the suite and removed after it.
 */
export function describeEachBackend(title: string, suite: (backend: TestBackend) => void): void {
  for (const name of selectedBackends()) {
    describe(`${title} (${name})`, () => {
      let embedded: EmbeddedPostgres | undefined;
      let tempDir: string | undefined;
      const backend: TestBackend = {
        name,
        get databaseUrl() {
          if (name === 'postgres') return DATABASE_URL;
          if (!embedded)
            throw new Error('the embedded database is started in before(); use databaseUrl inside hooks and tests');
          return embedded.url;
        },
      };
      before(async () => {
        if (name !== 'pglite') return;
        tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tempohook-test-'));
        const dataDir = path.join(tempDir, 'pglite');
        fs.cpSync(await pgliteTemplateDir(), dataDir, { recursive: true });
        embedded = await startEmbeddedPostgres({ dataDir, logger: silentLogger });
      });
      suite(backend);
      // After the suite's own after() hooks (they run in registration order), which still need the database.
      after(async () => {
        await embedded?.stop();
        if (tempDir) fs.rmSync(tempDir, { recursive: true, force: true });
      });
    });
  }
}

/**
 * An initialised, empty PGlite data directory shared by test runs (initdb takes ~4 s, a copy
 * and open ~1 s). Built once per PGlite version under the OS temp directory, atomically, so
 * parallel test files can race for it.
 */
async function pgliteTemplateDir(): Promise<string> {
  const { version } = JSON.parse(
    fs.readFileSync(path.join(path.dirname(require.resolve('@electric-sql/pglite')), '..', 'package.json'), 'utf8'),
  ) as { version: string };
  const template = path.join(os.tmpdir(), `tempohook-pglite-template-${version}`);
  if (fs.existsSync(path.join(template, 'PG_VERSION'))) return template;
  const building = fs.mkdtempSync(path.join(os.tmpdir(), 'tempohook-pglite-building-'));
  const { PGlite } = await import('@electric-sql/pglite');
  const db = await PGlite.create({ dataDir: building });
  await db.close();
  try {
    fs.renameSync(building, template);
  } catch {
    fs.rmSync(building, { recursive: true, force: true }); // another process won the race
  }
  return template;
}
