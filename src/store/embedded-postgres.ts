/**
 * An embedded PostgreSQL for `tempohook dev` and tests: PGlite (PostgreSQL compiled to WASM)
 * persisted under `dataDir`, served on 127.0.0.1 over the wire protocol so the same `pg` code
 * runs against it. One backend session serves every connection a turn at a time (see
 * pglite-wire-server.ts): connections are cheap, concurrency is not, so `createStore` gives it
 * a pool of one connection.
 */
import fs from 'node:fs';
import path from 'node:path';
import { TempohookError } from '../errors';
import { createLogger, type Logger } from '../logger';
import { servePglite, type PgliteSession } from './pglite-wire-server';

export interface StartEmbeddedPostgresOptions {
  /** Where the database files live, e.g. `.tempohook/pglite`; created if missing. */
  dataDir: string;
  /** Default 0: a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  logger?: Logger;
}

export interface EmbeddedPostgres {
  /** `postgres://postgres@127.0.0.1:PORT/postgres`. */
  url: string;
  dataDir: string;
  /** Closes connections, the server and the database, and frees the data directory. Idempotent. */
  stop(): Promise<void>;
}

const runningAddresses = new Set<string>();

/** PGlite is an optional dependency: only `tempohook dev` and tests load it. */
async function importPglite() {
  try {
    return await import('@electric-sql/pglite');
  } catch (err) {
    throw new TempohookError(
      'embedded_postgres_unavailable',
      `The embedded PostgreSQL needs the optional package @electric-sql/pglite (${(err as Error).message}); install it with \`npm install @electric-sql/pglite\`, or set DATABASE_URL to a PostgreSQL database.`,
      500,
    );
  }
}

/** True when `databaseUrl` points at an embedded server started by this process. */
export function isEmbeddedPostgresUrl(databaseUrl: string): boolean {
  const address = hostAndPort(databaseUrl);
  return address !== null && runningAddresses.has(address);
}

/** Opens (or creates) the database in `dataDir` and serves it; takes ~1-10 s the first time. */
export async function startEmbeddedPostgres(options: StartEmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const dataDir = path.resolve(options.dataDir);
  const host = options.host ?? '127.0.0.1';
  const logger = options.logger ?? createLogger();
  fs.mkdirSync(path.dirname(dataDir), { recursive: true });
  const unlock = lockDataDir(dataDir);

  let db: (PgliteSession & { close(): Promise<void> }) | undefined;
  try {
    const { PGlite } = await importPglite();
    db = await PGlite.create({ dataDir });
    const server = await servePglite(db, {
      host,
      port: options.port ?? 0,
      onConnectionError: (err) => logger.warn('embedded database connection failed', { error: err.message }),
    });
    const address = `${host}:${server.port}`;
    runningAddresses.add(address);
    const opened = db;
    let stopping: Promise<void> | null = null;
    return {
      url: `postgres://postgres@${address}/postgres`,
      dataDir,
      stop() {
        stopping ??= (async () => {
          runningAddresses.delete(address);
          try {
            await server.close();
            await opened.close();
          } finally {
            unlock();
          }
        })();
        return stopping;
      },
    };
  } catch (err) {
    await db?.close().catch(() => undefined);
    unlock();
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new TempohookError(
        'port_in_use',
        `Port ${options.port} on ${host} is already in use; choose another port for the embedded database or omit it to pick a free one.`,
        500,
      );
    }
    throw new TempohookError(
      'embedded_database_failed',
      `Could not open the embedded database in ${dataDir}: ${(err as Error).message}. Delete the directory to start empty, or set DATABASE_URL.`,
      500,
    );
  }
}

/**
 * PGlite does not stop a second process from opening the same files, which would corrupt
 * them: hold `<dataDir>.lock` (our pid) while open; a lock whose process is gone is stale.
 */
function lockDataDir(dataDir: string): () => void {
  const lockFile = `${dataDir}.lock`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(lockFile, String(process.pid), { flag: 'wx' });
      let held = true;
      return () => {
        if (!held) return;
        held = false;
        fs.rmSync(lockFile, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number(fs.readFileSync(lockFile, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0 && isRunning(pid)) {
        const who =
          pid === process.pid
            ? 'this process (stop the first embedded database before starting another)'
            : `process ${pid} (another \`tempohook dev\`?)`;
        throw new TempohookError(
          'embedded_database_in_use',
          `The embedded database in ${dataDir} is already open by ${who}. Stop it, or use another TEMPOHOOK_DATA_DIR, or set DATABASE_URL.`,
          500,
        );
      }
      fs.rmSync(lockFile, { force: true });
    }
  }
  throw new TempohookError(
    'embedded_database_in_use',
    `Could not lock ${lockFile}; remove it if no tempohook process is running.`,
    500,
  );
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function hostAndPort(databaseUrl: string): string | null {
  try {
    const url = new URL(databaseUrl);
    return `${url.hostname}:${url.port || '5432'}`;
  } catch {
    return null;
  }
}
