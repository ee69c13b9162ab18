/**
 * What a stage of the delivery pipeline decides. A stage either passes (`next`, with what it
 * found) or gives the verdict: the answer the ledger records and `respond` writes. Every answer
 * a delivery can get is one member of `Verdict`, so each is written in one place.
 */
import { classifyStoreError } from '../../store/store-error';
import type { DeliveriesRepository, RouteRecording } from '../../store/types';
import type { ChallengeResponse } from '../../verify/types';
import type { SignaledWait } from '../../waits/signal-waits';

/** A stage passed: the pipeline goes on with what it found. */
export type Next<T> = { kind: 'next' } & T;

export const next = <T extends object>(found: T): Next<T> => ({ kind: 'next', ...found });

/** A stage's result: go on, or the verdict. */
export type StageResult<T> = Next<T> | Verdict;

/** The history fields of a delivery that holds a reservation, once it is done. */
export type DeliveryCompletion = Parameters<DeliveriesRepository['complete']>[1];

/** A run a `start` route (or `spec.start`) started, or found started. */
export interface StartedRun {
  route: string;
  workflowId: string;
  runId: string | null;
  duplicate: boolean;
}

/** An entity workflow a `signalWithStart` route signaled (starting it if it did not run). */
export interface SignaledEntity {
  route: string;
  workflowId: string;
  runId: string | null;
  /** An earlier delivery of the event already signaled it. */
  duplicate: boolean;
}

/** The 202 body of an accepted delivery (starts, signals, or a duplicate of either). */
export interface AcceptedAnswer {
  accepted: true;
  duplicate: boolean;
  deliveryId: string;
  originalDeliveryId?: string;
  /** The first run started (the run of `spec.start`). */
  workflowId?: string;
  runId?: string | null;
  /** Every run a route started or found started, with the route's name. */
  started?: StartedRun[];
  /** Entities signaled by routes, then the waiting runs resumed (`waitId`). */
  signaled?: Array<SignaledEntity | SignaledWait>;
  /** Routes refused for good while others went through (recorded; the provider need not retry). */
  failed?: Array<{ route: string; action: string; reason: string }>;
  /** A large fan-out: runs claimed (durably) whose signal is sent after this answer. */
  claimed?: SignaledWait[];
}

type VerdictBody =
  /**
   * Postgres or Temporal did not answer: 503 + Retry-After. `during` names the step for the log;
   * a held key is released, so the provider's retry succeeds later.
   */
  | { kind: 'unavailable'; dependency: 'store' | 'temporal'; during: string; detail: string }
  | { kind: 'endpoint_not_found' }
  /** The stored spec no longer parses or names a missing profile: the operator must re-apply it. */
  | { kind: 'webhook_invalid' }
  /**
   * Refused before any key was held (body, signature, conditions, rate limit, event id): a 4xx,
   * recorded as `rejected` with `reason`. `message` is what the sender sees (it may say less).
   */
  | {
      kind: 'refused';
      status: number;
      code: string;
      message: string;
      reason: string;
      /** The event id for the history: claimed (unverified) or checked, when one is known. */
      eventId?: string | null;
      sourceEvent?: string | null;
      retryAfterSeconds?: number;
      /** Refused after verification and the conditions passed (rate limit, body, event id): its payload is kept. */
      verified?: boolean;
    }
  /** A start that can never succeed as configured: the key is released, `detail` goes to status.lastError. */
  | { kind: 'start_refused'; status: number; code: string; message: string; detail: string }
  /** A provider handshake, answered in the provider's own format. */
  | { kind: 'handshake'; challenge: ChallengeResponse }
  /** Verified, but the webhook's filters drop it: 202, and no key is held. */
  | { kind: 'ignored'; reason: string; eventId: string; sourceEvent: string | null }
  | { kind: 'accepted'; answer: AcceptedAnswer; completion: DeliveryCompletion };

/** A verdict given after routes acted carries what each did, for the ledger to record with the outcome. */
export type Verdict = VerdictBody & { routes?: RouteRecording };

export type VerdictKind = Verdict['kind'];

/**
 * The store failed while a stage needed it (`during` says where, for the log). A value it refused
 * (a data error, a constraint, a limit) is the sender's 4xx, never a 503 a provider retries for
 * ever; anything else is 503 + Retry-After.
 */
export function storeFailure(during: string, err: unknown): Verdict {
  const verdict = classifyStoreError(err, `a value of the delivery (${during})`);
  if (verdict.kind === 'client') {
    const { status, code, message } = verdict;
    return { kind: 'refused', status, code, message, reason: `${code}: ${message}` };
  }
  return { kind: 'unavailable', dependency: 'store', during, detail: (err as Error)?.message ?? String(err) };
}
