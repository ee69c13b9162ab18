import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLookupCache, type ResourceChange } from '../../src/store';

/** A change feed driven by the test, and a loader that counts its calls and can be held. */
function harness(options: { ttlMs?: number; maxEntries?: number } = {}) {
  const listeners = new Set<(change: ResourceChange) => void>();
  let now = 0;
  const loads: string[] = [];
  let version = 0;
  let gate: Promise<void> | undefined;
  const cache = createLookupCache<string | null>({
    kind: 'secret',
    changes: {
      subscribe: (listener) => {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    },
    load: async (key) => {
      loads.push(key);
      const seen = version;
      await gate;
      return key.startsWith('missing') ? null : `${key}@${seen}`;
    },
    now: () => now,
    ...options,
  });
  return {
    cache,
    loads,
    change(kind: ResourceChange['kind']) {
      version++;
      for (const listener of listeners) listener({ kind, namespace: '', name: '' });
    },
    advance: (ms: number) => (now += ms),
    hold() {
      let release!: () => void;
      gate = new Promise((resolve) => (release = resolve));
      return () => {
        gate = undefined;
        release();
      };
    },
    listeners,
  };
}

test('lookup cache: found and not-found entries are served without a load until the TTL passes', async () => {
  const h = harness({ ttlMs: 100 });
  for (let i = 0; i < 5; i++) {
    assert.equal(await h.cache.get('a'), 'a@0');
    assert.equal(await h.cache.get('missing-b'), null);
  }
  assert.deepEqual(h.loads, ['a', 'missing-b']);
  h.advance(100);
  assert.equal(await h.cache.get('a'), 'a@0');
  assert.deepEqual(h.loads, ['a', 'missing-b', 'a']);
});

test('lookup cache: a change of its kind drops every entry; a change of another kind drops none', async () => {
  const h = harness();
  await h.cache.get('a');
  h.change('webhook');
  assert.equal(await h.cache.get('a'), 'a@0');
  assert.equal(h.loads.length, 1);
  h.change('secret');
  assert.equal(h.cache.size, 0);
  assert.equal(await h.cache.get('a'), 'a@2');
  assert.equal(h.loads.length, 2);
});

test('lookup cache: concurrent misses share one load; a load begun before a change is not kept', async () => {
  const h = harness();
  const release = h.hold();
  const first = Array.from({ length: 32 }, () => h.cache.get('a'));
  assert.equal(h.loads.length, 1);
  h.change('secret');
  // After the change a new caller must not join the stale load.
  const after = h.cache.get('a');
  assert.equal(h.loads.length, 2);
  release();
  assert.deepEqual(new Set(await Promise.all(first)), new Set(['a@0']));
  assert.equal(await after, 'a@1');
  assert.equal(await h.cache.get('a'), 'a@1');
  assert.equal(h.loads.length, 2);
});

test('lookup cache: a failed load is not cached; at most maxEntries are kept, oldest out first; close unsubscribes', async () => {
  const listeners = new Set<(change: ResourceChange) => void>();
  let fail = true;
  let loads = 0;
  const cache = createLookupCache<string>({
    kind: 'webhook',
    changes: { subscribe: (l) => (listeners.add(l), () => listeners.delete(l)) },
    load: async (key) => {
      loads++;
      if (fail) throw new Error('store down');
      return key;
    },
    maxEntries: 3,
  });
  await assert.rejects(cache.get('a'), /store down/);
  fail = false;
  assert.equal(await cache.get('a'), 'a');
  for (const key of ['b', 'c', 'd']) await cache.get(key);
  assert.equal(cache.size, 3);
  const before = loads;
  await cache.get('d');
  assert.equal(loads, before);
  await cache.get('a');
  assert.equal(loads, before + 1);
  cache.close();
  assert.equal(listeners.size, 0);
});
