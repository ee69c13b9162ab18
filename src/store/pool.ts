/**
 * The `pg` pool every repository runs on: fast connection timeouts (the ingress must answer 503
 * quickly when the database is down), an optional schema per pool (tests isolate by schema),
 * and errors that name the database and say how to fix it.
 */
import pg from 'pg';
import type { Pool } from 'pg';
import { TempohookError } from '../errors';
import { createLogger, type Logger } from '../logger';
import { quoteIdentifier } from './sql';

export interface CreatePoolOptions {
  /** Connections at most (default 10). The embedded database serves one statement at a time; 1 is enough there. */
  max?: number;
  /** Schema to create if missing and to put first on every connection's `search_path`. */
  schema?: string;
  /** Server-side `statement_timeout` (default 10 s). PGlite ignores it. */
  statementTimeoutMs?: number;
  /** How long to wait for a connection before failing (default 5 s). */
  connectionTimeoutMs?: number;
  /** Idle connections close after this (default 10 s; 0 keeps them open). */
  idleTimeoutMs?: number;
  /** Shown in `pg_stat_activity` (default `tempohook`). */
  applicationName?: string;
  /** Receives errors of idle connections (a restarted server), which would otherwise crash the process. */
  logger?: Logger;
}

const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** Creates a `pg.Pool` for `databaseUrl`; see {@link CreatePoolOptions} for the defaults. */
export function createPool(databaseUrl: string, options: CreatePoolOptions = {}): Pool {
  const { schema } = options;
  if (schema !== undefined && !SCHEMA_NAME.test(schema)) {
    throw new TempohookError(
      'invalid_schema',
      `Schema name "${schema}" is not allowed: use letters, digits and underscores (at most 63, not starting with a digit).`,
      500,
    );
  }
  const logger = options.logger ?? createLogger();
  let schemaReady: Promise<void> | null = null;
  const useSchema = async (client: pg.ClientBase, name: string) => {
    const ready = (schemaReady ??= createSchemaIfMissing(client, name).catch((err: unknown) => {
      schemaReady = null;
      throw err;
    }));
    await ready;
    await client.query(`SET search_path TO ${quoteIdentifier(name)}`);
  };
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: options.max ?? 10,
    connectionTimeoutMillis: options.connectionTimeoutMs ?? 5_000,
    idleTimeoutMillis: options.idleTimeoutMs ?? 10_000,
    statement_timeout: options.statementTimeoutMs ?? 10_000,
    idle_in_transaction_session_timeout: 60_000,
    application_name: options.applicationName ?? 'tempohook',
    keepAlive: true,
    // pg-pool (>= 3.9) awaits the returned promise before handing the connection out, so no query
    // runs on the wrong schema; @types/pg declares the hook as returning void.
    // eslint-disable-next-line @typescript-eslint/no-misused-promises
    onConnect: schema === undefined ? undefined : (client: pg.ClientBase) => useSchema(client, schema),
  });
  pool.on('error', (err) =>
    logger.warn('idle database connection failed; it will be replaced', {
      database: describeDatabaseUrl(databaseUrl),
      error: err.message,
    }),
  );
  return pool;
}

async function createSchemaIfMissing(client: pg.ClientBase, schema: string): Promise<void> {
  try {
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(schema)}`);
  } catch (err) {
    // Two connections creating it at once: the loser sees a unique violation after the winner committed.
    const code = (err as { code?: string }).code;
    if (code !== '23505' && code !== '42P06') throw err;
  }
}

/** `host:port/database` of a connection URL, without user or password (safe to log and show). */
export function describeDatabaseUrl(databaseUrl: string): string {
  try {
    const url = new URL(databaseUrl);
    const host = url.hostname || url.searchParams.get('host') || 'localhost';
    return `${host}:${url.port || '5432'}${url.pathname || '/'}`;
  } catch {
    return '(unparseable DATABASE_URL)';
  }
}

const CONNECTION_ERROR_CODES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ECONNRESET: 'connection reset',
  '28P01': 'password authentication failed',
  '28000': 'the server refused this user',
  '3D000': 'the database does not exist',
  '57P03': 'the server is starting up or shutting down',
};

/**
 * When `err` means "cannot reach or log in to the database", a 503 `database_unreachable`
 * error that names the database (never the password) and says how to fix it; otherwise null.
 */
export function explainConnectionError(err: unknown, databaseUrl: string): TempohookError | null {
  const e = err as { code?: string; message?: string; errors?: Array<{ code?: string }> };
  const code = e.code ?? e.errors?.find((inner) => inner.code)?.code;
  const message = e.message ?? '';
  let problem = code ? CONNECTION_ERROR_CODES[code] : undefined;
  if (!problem && /connection timeout/i.test(message)) problem = 'no answer within the connection timeout';
  if (!problem && /terminated unexpectedly|Connection terminated/i.test(message))
    problem = 'the server closed the connection';
  if (!problem) return null;
  return new TempohookError(
    'database_unreachable',
    `Cannot use PostgreSQL at ${describeDatabaseUrl(databaseUrl)}: ${problem}. Start PostgreSQL there or set DATABASE_URL ` +
      'to a reachable server (postgres://USER:PASSWORD@HOST:PORT/DATABASE); leave DATABASE_URL unset in `tempohook dev` to use the embedded database.',
    503,
  );
}
