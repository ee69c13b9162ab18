/**
 * The subscriptions every event is matched against, cached in the worker: loaded on first use
 * (two statements), dropped when the store's change feed reports a subscription change (any
 * process, within a second), and reloaded at least every `maxAgeMs` in case a notice was lost.
 * With no subscription at all, matching an event costs no database round trip.
 */
import type { Logger } from '../logger';
import type { Store } from '../store/types';
import { createSubscriptionSource, type ResolvedSubscription } from './subscriptions';

export interface SubscriptionSnapshot {
  candidates: readonly ResolvedSubscription[];
  /** Keys disabled after too many failed deliveries. */
  disabled: ReadonlySet<string>;
  byKey: ReadonlyMap<string, ResolvedSubscription>;
}

export interface SubscriptionCache {
  get(): Promise<SubscriptionSnapshot>;
  /** The cached snapshot when it is current (no load, no wait); undefined once closed. */
  peek(): SubscriptionSnapshot | undefined;
  close(): void;
}

export function createSubscriptionCache(options: {
  store: Pick<Store, 'subscriptions' | 'changes'>;
  settings?: readonly ResolvedSubscription[];
  maxAgeMs?: number;
  logger?: Logger;
}): SubscriptionCache {
  const source = createSubscriptionSource(options.store, options.settings);
  const maxAgeMs = options.maxAgeMs ?? 60_000;
  let current: { snapshot: SubscriptionSnapshot; loadedAt: number } | undefined;
  let loading: { generation: number; snapshot: Promise<SubscriptionSnapshot> } | undefined;
  // Bumped by every change: a load that started before a change must not be kept.
  let generation = 0;
  const unsubscribe = options.store.changes.subscribe((change) => {
    if (change.kind !== 'subscription') return;
    generation++;
    current = undefined;
  });

  const load = async (): Promise<SubscriptionSnapshot> => {
    const started = generation;
    const [candidates, disabled] = await Promise.all([source.all(), options.store.subscriptions.disabledKeys()]);
    const snapshot = { candidates, disabled, byKey: new Map(candidates.map((s) => [s.key, s])) };
    if (started === generation) current = { snapshot, loadedAt: Date.now() };
    return snapshot;
  };

  let closed = false;
  const fresh = () => (current && Date.now() - current.loadedAt < maxAgeMs ? current.snapshot : undefined);

  return {
    peek: () => (closed ? undefined : fresh()),
    get() {
      const snapshot = fresh();
      if (snapshot) return Promise.resolve(snapshot);
      // A load begun before the latest change would return what the change replaced.
      if (loading?.generation !== generation) {
        const started = { generation, snapshot: load() };
        loading = started;
        void started.snapshot.finally(() => {
          if (loading === started) loading = undefined;
        });
      }
      return loading.snapshot;
    },
    close: () => {
      closed = true;
      unsubscribe();
    },
  };
}
