/**
 * Sends one envelope to one subscription: resolves its secrets (here, never earlier: secrets
 * stay out of workflow history and activity inputs), signs, POSTs through the outbound guard.
 */
import { resolveSecrets, type ResolvedSecrets } from '../resources/secret-resolver';
import { secretRefs } from '../resources/schemas';
import type { Store } from '../store/types';
import type { NotificationEnvelope } from '../workflows/notification-definitions';
import { postJson, type SendResult } from './http-sender';
import type { OutboundGuard } from './outbound-guard';
import { signatureHeaders } from './sign-notification';
import { DEFAULT_TIMEOUT_SECONDS, type ResolvedSubscription } from './subscriptions';

/** A subscription's secret reference resolved to nothing: retried, so adding the secret fixes it. */
export class SigningSecretMissingError extends Error {
  override readonly name = 'SigningSecretMissingError';
}

export async function sendNotification(
  deps: {
    store: Pick<Store, 'secrets'>;
    guard: OutboundGuard;
    env?: NodeJS.ProcessEnv;
    now?: () => number;
    /** Secrets already resolved for `sub` (a batch resolves them once). */
    secrets?: ResolvedSecrets;
  },
  sub: ResolvedSubscription,
  envelope: NotificationEnvelope,
): Promise<SendResult> {
  const refs = secretRefs(sub.spec);
  const { values, missing } = deps.secrets ?? (await resolveSecrets(deps.store, sub.namespace, refs, deps.env));
  if (missing.length > 0) throw new SigningSecretMissingError(`signing secret missing: ${missing.join(', ')}`);
  const body = JSON.stringify(envelope);
  const timestampSeconds = Math.floor((deps.now?.() ?? Date.now()) / 1000);
  const headers = {
    ...sub.spec.headers,
    ...signatureHeaders(sub.spec.scheme, values, { id: envelope.id, timestampSeconds, body }),
    'x-tempohook-event-type': envelope.type,
  };
  return postJson({
    url: sub.spec.url,
    body,
    headers,
    timeoutMs: Math.round((sub.spec.timeout ?? DEFAULT_TIMEOUT_SECONDS) * 1000),
    guard: deps.guard,
  });
}

/** 2xx succeeds; 4xx other than 408 and 429 is final; anything else is retried. */
export function classifyStatus(status: number): 'succeeded' | 'final' | 'retry' {
  if (status >= 200 && status < 300) return 'succeeded';
  if (status >= 400 && status < 500 && status !== 408 && status !== 429) return 'final';
  return 'retry';
}
