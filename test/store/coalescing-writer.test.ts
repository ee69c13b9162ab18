import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createCoalescingWriter } from '../../src/store/coalescing-writer';

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

test('coalescing writer: one flush at a time; what arrives meanwhile goes into the next, in order', async () => {
  const flushes: number[][] = [];
  let inFlight = 0;
  let most = 0;
  const writer = createCoalescingWriter<number>(async (items) => {
    most = Math.max(most, ++inFlight);
    flushes.push(items);
    await tick();
    inFlight--;
  });
  await Promise.all(Array.from({ length: 32 }, (_, i) => writer.write(i)));
  assert.equal(most, 1);
  assert.deepEqual(flushes, [[0], Array.from({ length: 31 }, (_, i) => i + 1)]);
});

test('coalescing writer: a write resolves after its own flush; a failed flush is reported, not thrown', async () => {
  const stored: number[] = [];
  const errors: number[] = [];
  const writer = createCoalescingWriter<number>(
    async (items) => {
      await tick();
      if (items.includes(13)) throw new Error('refused');
      stored.push(...items);
    },
    { onError: (_err, count) => errors.push(count) },
  );
  await writer.write(1);
  assert.deepEqual(stored, [1]);
  await writer.write(13);
  assert.deepEqual(errors, [1]);
});

test('coalescing writer: batches of maxBatch; past maxPending a write is dropped and counted', async () => {
  const sizes: number[] = [];
  const writer = createCoalescingWriter<number>(
    async (items) => {
      sizes.push(items.length);
      await tick();
    },
    { maxBatch: 10, maxPending: 25 },
  );
  await Promise.all(Array.from({ length: 40 }, (_, i) => writer.write(i)));
  // The first write starts a flush at once; 25 wait; the other 14 are dropped.
  assert.equal(writer.dropped, 14);
  assert.deepEqual(sizes, [1, 10, 10, 5]);
});
