/**
 * A per-process cache of one kind of resource lookup (a webhook by endpoint id, a Secret by
 * name), for the delivery hot path. Entries, found or not found, are dropped when the store's
 * change feed reports a change of that kind — from any process, within a second (LISTEN/NOTIFY
 * on PostgreSQL, polled on the embedded database), at once in the process that wrote it — and
 * are trusted at most `ttlMs` in case a notice was lost. Concurrent misses of one key share one
 * load, and a load that began before a change is returned to its callers but not kept.
 */
import type { ChangeFeed, ResourceKind } from './change-feed';

export interface LookupCacheOptions<V> {
  kind: ResourceKind;
  changes: Pick<ChangeFeed, 'subscribe'>;
  load(key: string): Promise<V>;
  /** How long an entry is used without a change notice (default 10 s): the backstop for a lost notice. */
  ttlMs?: number;
  /** Most entries kept (default 10,000; the oldest go first). */
  maxEntries?: number;
  now?: () => number;
}

export interface LookupCache<V> {
  get(key: string): Promise<V>;
  readonly size: number;
  /** Stops listening for changes. */
  close(): void;
}

export function createLookupCache<V>(options: LookupCacheOptions<V>): LookupCache<V> {
  const ttlMs = options.ttlMs ?? 10_000;
  const maxEntries = options.maxEntries ?? 10_000;
  const now = options.now ?? Date.now;
  const entries = new Map<string, { value: V; expiresAt: number }>();
  const loading = new Map<string, { generation: number; value: Promise<V> }>();
  // Bumped by every change of the kind: a load begun before it must not be kept.
  let generation = 0;
  const unsubscribe = options.changes.subscribe((change) => {
    if (change.kind !== options.kind) return;
    generation++;
    entries.clear();
  });

  return {
    get(key) {
      const hit = entries.get(key);
      if (hit && hit.expiresAt > now()) return Promise.resolve(hit.value);
      const pending = loading.get(key);
      if (pending?.generation === generation) return pending.value;
      const started = generation;
      const value = options.load(key).then((loaded) => {
        if (started === generation) {
          entries.delete(key);
          entries.set(key, { value: loaded, expiresAt: now() + ttlMs });
          // Map keeps insertion order: the first key is the oldest entry.
          while (entries.size > maxEntries) entries.delete(entries.keys().next().value!);
        }
        return loaded;
      });
      const load = { generation: started, value };
      loading.set(key, load);
      const done = () => {
        if (loading.get(key) === load) loading.delete(key);
      };
      value.then(done, done);
      return value;
    },
    get size() {
      return entries.size;
    },
    close: () => void unsubscribe(),
  };
}
