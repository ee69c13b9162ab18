/**
 * Coalesces many small writes into few statements: at most one flush runs at a time, and every
 * item that arrives meanwhile goes into the next one. A burst of junk (bad signatures, 32 at a
 * time) thus holds at most one store session instead of 32, leaving the pool — and the embedded
 * database's single session — to valid deliveries. Each `write` resolves once its own flush is
 * done, so a caller still answers after its row is stored. Past `maxPending` waiting items a
 * write is dropped (counted, resolved at once): a flood cannot grow memory without bound.
 */
export interface CoalescingWriterOptions {
  /** Items per flush at most (default 500). */
  maxBatch?: number;
  /** Items waiting at most; more are dropped (default 5,000). */
  maxPending?: number;
  /** Told when a flush fails (its items are not retried) or items were dropped. */
  onError?: (err: unknown, items: number) => void;
  onDrop?: (dropped: number) => void;
}

export interface CoalescingWriter<T> {
  write(item: T): Promise<void>;
  /** Items dropped so far because too many were waiting. */
  readonly dropped: number;
}

export function createCoalescingWriter<T>(
  flush: (items: T[]) => Promise<void>,
  options: CoalescingWriterOptions = {},
): CoalescingWriter<T> {
  const maxBatch = options.maxBatch ?? 500;
  const maxPending = options.maxPending ?? 5_000;
  let pending: Array<{ item: T; done: () => void }> = [];
  let flushing = false;
  let dropped = 0;

  async function drain() {
    flushing = true;
    while (pending.length > 0) {
      const batch = pending.slice(0, maxBatch);
      pending = pending.slice(batch.length);
      try {
        await flush(batch.map((entry) => entry.item));
      } catch (err) {
        options.onError?.(err, batch.length);
      }
      for (const entry of batch) entry.done();
    }
    flushing = false;
  }

  return {
    write(item) {
      if (pending.length >= maxPending) {
        dropped++;
        options.onDrop?.(dropped);
        return Promise.resolve();
      }
      const written = new Promise<void>((done) => pending.push({ item, done }));
      if (!flushing) void drain();
      return written;
    },
    get dropped() {
      return dropped;
    },
  };
}
