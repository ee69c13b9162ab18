/**
 * One delivery attempt, as the delivery log records it: sends the envelope and classifies the
 * outcome (succeeded, final, retried) without recording anything. The dispatcher (first
 * attempts, in batches) and the delivery activity (retries) both build on it.
 */
import type { NotificationMetrics } from '../metrics';
import type { ResolvedSecrets } from '../resources/secret-resolver';
import type { NotificationAttemptRecord, Store } from '../store/types';
import type { NotificationEnvelope } from '../workflows/notification-definitions';
import { OutboundRefusedError, type OutboundGuard } from './outbound-guard';
import { classifyStatus, sendNotification, SigningSecretMissingError } from './send-notification';
import type { ResolvedSubscription } from './subscriptions';

export interface AttemptOutcome {
  record: NotificationAttemptRecord;
  verdict: 'succeeded' | 'final' | 'retry';
  /** Why it was not delivered, e.g. `receiver answered HTTP 503`; null on success. */
  error: string | null;
  /** The error type Temporal's retry sees (`ReceiverUnavailable`, `OutboundAddressRefused`, …). */
  errorType?: string;
  httpStatus: number | null;
  /** From the receiver's `Retry-After`, capped at a day. */
  retryAfterMs?: number;
}

const MAX_RETRY_AFTER_MS = 24 * 3600_000;

export interface AttemptDeps {
  store: Pick<Store, 'secrets'>;
  guard: OutboundGuard;
  env?: NodeJS.ProcessEnv;
  secrets?: ResolvedSecrets;
  /** Counts the attempt by outcome. */
  metrics?: NotificationMetrics;
}

export async function attemptDelivery(
  deps: AttemptDeps,
  sub: ResolvedSubscription,
  envelope: NotificationEnvelope,
  attempt: number,
): Promise<AttemptOutcome> {
  const outcome = await attemptOnce(deps, sub, envelope, attempt);
  deps.metrics?.attempt(outcome.verdict);
  return outcome;
}

async function attemptOnce(
  deps: AttemptDeps,
  sub: ResolvedSubscription,
  envelope: NotificationEnvelope,
  attempt: number,
): Promise<AttemptOutcome> {
  const startedAt = new Date();
  try {
    const answer = await sendNotification(deps, sub, envelope);
    const verdict = classifyStatus(answer.httpStatus);
    const error = verdict === 'succeeded' ? null : `receiver answered HTTP ${answer.httpStatus}`;
    return {
      record: {
        attempt,
        startedAt,
        durationMs: answer.durationMs,
        httpStatus: answer.httpStatus,
        responseBody: answer.responseBody,
        error,
      },
      verdict,
      error,
      httpStatus: answer.httpStatus,
      ...(verdict === 'succeeded'
        ? {}
        : { errorType: verdict === 'final' ? 'ReceiverRejected' : 'ReceiverUnavailable' }),
      ...(answer.retryAfterMs !== undefined ? { retryAfterMs: Math.min(answer.retryAfterMs, MAX_RETRY_AFTER_MS) } : {}),
    };
  } catch (err) {
    const message = (err as Error).message || String(err);
    const refused = err instanceof OutboundRefusedError;
    const missingSecret = err instanceof SigningSecretMissingError;
    return {
      record: {
        attempt,
        startedAt,
        durationMs: Date.now() - startedAt.getTime(),
        httpStatus: null,
        responseBody: null,
        error: message,
      },
      verdict: refused ? 'final' : 'retry',
      error: refused || missingSecret ? message : `could not reach the receiver: ${message}`,
      errorType: refused ? 'OutboundAddressRefused' : missingSecret ? 'SigningSecretMissing' : 'ReceiverUnreachable',
      httpStatus: null,
    };
  }
}
