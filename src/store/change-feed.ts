/**
 * Resource changes, announced so caches in other processes drop stale entries within a second:
 * `notifyChange` runs in the writer's transaction (or right after its statement) and bumps the
 * kind's version in `resource_versions` plus a `pg_notify` on one channel; `createChangeFeed`
 * delivers them to in-process listeners. On PostgreSQL it holds one LISTEN connection of its
 * own; on the embedded database (one session at a time: a held connection would starve every
 * other query) it polls the versions instead. Changes made through the same store reach its
 * listeners at once either way.
 */
import pg from 'pg';
import type { Logger } from '../logger';
import { quoteIdentifier } from './sql';

export const CHANGE_CHANNEL = 'tempohook_changes';

export type ResourceKind = 'subscription' | 'webhook' | 'secret';

export interface ResourceChange {
  kind: ResourceKind;
  namespace: string;
  name: string;
}

export interface ChangeFeed {
  /** Calls `listener` for every change (from any process on the same schema); returns the unsubscribe. */
  subscribe(listener: (change: ResourceChange) => void): () => void;
  /** Delivers a change made in this process at once (the store's repositories call it after their writes). */
  publishLocal(change: ResourceChange): void;
  close(): Promise<void>;
}

interface Queryable {
  query(text: string, values?: unknown[]): Promise<unknown>;
}

/** Records a change: call it with the client of the writing transaction. */
export async function notifyChange(db: Queryable, change: ResourceChange): Promise<void> {
  await db.query(
    `WITH bumped AS (
       INSERT INTO resource_versions AS v (kind, version) VALUES ($1, 1)
       ON CONFLICT (kind) DO UPDATE SET version = v.version + 1 RETURNING version
     )
     SELECT pg_notify($4, json_build_object('schema', current_schema(), 'kind', $1::text, 'namespace', $2::text, 'name', $3::text,
       'version', (SELECT version FROM bumped))::text)`,
    [change.kind, change.namespace, change.name, CHANGE_CHANNEL],
  );
}

export interface ChangeFeedOptions {
  databaseUrl: string;
  /** The store's schema: changes in other schemas of the same database are ignored. */
  schema?: string;
  /** The store's pool, for polling. */
  db: pg.Pool;
  /** Poll `resource_versions` instead of holding a LISTEN connection (the embedded database). */
  poll: boolean;
  /** How often to poll, and to retry a lost LISTEN connection (default 500 ms). */
  intervalMs?: number;
  logger?: Logger;
}

/** Starts listening on the first `subscribe`; `close` stops it. */
export function createChangeFeed(options: ChangeFeedOptions): ChangeFeed {
  const listeners = new Set<(change: ResourceChange) => void>();
  const intervalMs = options.intervalMs ?? 500;
  let started = false;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let client: pg.Client | undefined;
  const seen = new Map<string, string>();
  let baseline = false;

  const emit = (change: ResourceChange) => {
    for (const listener of listeners) {
      try {
        listener(change);
      } catch (err) {
        options.logger?.warn('a change listener failed', { error: (err as Error).message });
      }
    }
  };

  const pollOnce = async () => {
    const result = await options.db.query<{ kind: ResourceKind; version: string }>(
      'SELECT kind, version FROM resource_versions',
    );
    for (const row of result.rows) {
      const before = seen.get(row.kind);
      seen.set(row.kind, row.version);
      // The first read is the baseline; a kind seen for the first time later is a change.
      if (baseline && before !== row.version) emit({ kind: row.kind, namespace: '', name: '' });
    }
    baseline = true;
  };

  const schedule = (fn: () => Promise<void>) => {
    if (closed) return;
    timer = setTimeout(() => {
      void fn()
        .catch((err: unknown) =>
          options.logger?.warn('change feed: database not reachable, retrying', { error: (err as Error).message }),
        )
        .finally(() => schedule(fn));
    }, intervalMs);
    timer.unref();
  };

  const listen = async () => {
    if (client || closed) return;
    const next = new pg.Client({ connectionString: options.databaseUrl, application_name: 'tempohook-changes' });
    const schema =
      options.schema ??
      (await options.db.query<{ schema: string }>('SELECT current_schema() AS schema')).rows[0]!.schema;
    next.on('notification', (message) => {
      if (message.channel !== CHANGE_CHANNEL || !message.payload) return;
      try {
        const {
          schema: changed,
          kind,
          namespace,
          name,
        } = JSON.parse(message.payload) as ResourceChange & {
          schema: string;
        };
        if (changed === schema) emit({ kind, namespace, name });
      } catch {
        // Not ours.
      }
    });
    const lost = (err?: Error) => {
      if (client !== next) return;
      client = undefined;
      next.end().catch(() => undefined);
      if (closed) return;
      options.logger?.warn('change feed: LISTEN connection lost, reconnecting', { error: err?.message });
      // Changes made while disconnected are unknown: every cache reloads.
      for (const kind of ['subscription', 'webhook', 'secret'] as const) emit({ kind, namespace: '', name: '' });
    };
    next.on('error', lost);
    next.on('end', () => lost());
    client = next;
    try {
      await next.connect();
      await next.query(`LISTEN ${quoteIdentifier(CHANGE_CHANNEL)}`);
    } catch (err) {
      lost(err as Error);
      throw err;
    }
  };

  const start = () => {
    if (started) return;
    started = true;
    // Polling reads the versions every interval; listening reconnects on the same beat (a no-op while connected).
    const step = options.poll ? pollOnce : listen;
    void step().catch(() => undefined);
    schedule(step);
  };

  return {
    subscribe(listener) {
      listeners.add(listener);
      start();
      return () => listeners.delete(listener);
    },
    publishLocal: emit,
    async close() {
      closed = true;
      clearTimeout(timer);
      const open = client;
      client = undefined;
      await open?.end().catch(() => undefined);
    },
  };
}
