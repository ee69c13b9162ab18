/**
 * A circuit breaker in front of Temporal for the delivery path. While Temporal answers, every
 * call goes through. After `threshold` consecutive unavailable answers the circuit opens: calls
 * are refused at once (the delivery answers 503 with Retry-After and frees its key, as for any
 * outage) except one probe at a time, which waits the full timeout; the first answer from
 * Temporal, whatever it says, closes the circuit. A provider's burst during an outage then holds
 * no socket for the timeout, and Temporal's recovery is noticed by the next delivery after it.
 */
export interface TemporalCircuitOptions {
  /** Consecutive unavailable answers that open the circuit (default 5). */
  threshold?: number;
}

/** What a refused call reports instead of calling. */
export interface CircuitOpen {
  kind: 'circuit_open';
  detail: string;
}

export interface TemporalCircuit {
  /**
   * Runs `call` unless the circuit is open and a probe is already out; `unavailable` says which
   * results count as Temporal not answering.
   */
  run<T>(call: () => Promise<T>, unavailable: (result: T) => boolean): Promise<T | CircuitOpen>;
  readonly open: boolean;
}

export function createTemporalCircuit(options: TemporalCircuitOptions = {}): TemporalCircuit {
  const threshold = options.threshold ?? 5;
  let failures = 0;
  let probing = false;
  let openedAt = 0;
  const isOpen = () => failures >= threshold;

  return {
    async run(call, unavailable) {
      const probe = isOpen();
      if (probe && probing) {
        const seconds = ((Date.now() - openedAt) / 1000).toFixed(1);
        return {
          kind: 'circuit_open',
          detail: `not sent: Temporal gave ${failures} unavailable answers in a row (circuit open for ${seconds} s; one probe at a time until it answers)`,
        };
      }
      if (probe) probing = true;
      try {
        const result = await call();
        if (!unavailable(result)) failures = 0;
        else if (++failures === threshold) openedAt = Date.now();
        return result;
      } finally {
        if (probe) probing = false;
      }
    },
    get open() {
      return isOpen();
    },
  };
}
