import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createUnknownEndpointCache } from '../../src/store/unknown-endpoint-cache';

test('unknown endpoint cache: remembers a miss for its TTL, keeps at most maxEntries (oldest out first)', () => {
  let now = 0;
  const cache = createUnknownEndpointCache({ ttlMs: 100, maxEntries: 3, now: () => now });
  cache.remember('a');
  assert.equal(cache.has('a'), true);
  now = 100;
  assert.equal(cache.has('a'), false);
  assert.equal(cache.size, 0);
  for (const id of ['b', 'c', 'd', 'e']) cache.remember(id);
  assert.equal(cache.size, 3);
  assert.deepEqual(
    ['b', 'c', 'd', 'e'].map((id) => cache.has(id)),
    [false, true, true, true],
  );
  cache.forget('c');
  assert.equal(cache.has('c'), false);
});
