/**
 * Replay: a stored delivery run through the pipeline again, after verification (it was verified
 * on arrival; the API token authorises the replay). The kept request is read back, the webhook's
 * *current* spec admits it (body, event id, filters — not its conditions or rate limit), and it is
 * reserved, acted on and recorded as a new delivery whose `replay_of` names the original.
 *
 * The event id stays the original's by default, so dedup decides as it would for the provider's
 * own retry: an event whose run exists answers `duplicate` with that run, a failed start is
 * started now, a signal webhook resumes the waits still open. `newEventId` gives the replay a
 * fresh event id (and so a fresh workflow id): a deliberate re-run.
 */
import { randomUUID } from 'node:crypto';
import { tooDeepMessage } from '../../resources/json-limits';
import { webhookSpec } from '../../resources/schemas';
import type { DeliveryRecord, KeptPayload } from '../../store/types';
import { getProfile } from '../../verify';
import type { InboundRequest } from '../../verify/types';
import { parsePayload } from '../payload';
import { act, planActions } from './act';
import { admit } from './admit';
import { createDeliveryContext, timed, type DeliveryContext, type DeliveryDeps, type ResolvedWebhook } from './context';
import { payloadRetentionSeconds } from './keep-payload';
import { createDeliveryLedger } from './ledger';
import { reserve } from './reserve';
import type { Verdict } from './verdict';

/** Why a delivery cannot be replayed: an HTTP status and a code that tells the operator what to do. */
export interface NotReplayable {
  kind: 'not_replayable';
  status: 404 | 409 | 410;
  code: string;
  message: string;
}

/** A replay that ran: the verdict of the new delivery and its id (absent only when its row could not be written). */
export interface Replayed {
  kind: 'replayed';
  verdict: Verdict;
  deliveryId: string | undefined;
  replayOf: string;
  eventId: string | undefined;
}

export type ReplayResult = NotReplayable | Replayed;

export interface ReplayOptions {
  /** A fresh event id (so a fresh workflow id) instead of the original's. */
  newEventId?: boolean;
  /** The bulk replay job it is an item of (recorded on the new delivery). */
  jobId?: string;
}

/** The most characters of the original event id a fresh one keeps (event ids are at most 255). */
const EVENT_ID_PREFIX_LENGTH = 200;

/** A replay's fresh event id: the original's, marked, and unique. */
export function freshEventId(original: string | null): string {
  const suffix = `replay-${randomUUID()}`;
  return original ? `${original.slice(0, EVENT_ID_PREFIX_LENGTH)}.${suffix}` : suffix;
}

function notReplayable(status: NotReplayable['status'], code: string, message: string): NotReplayable {
  return { kind: 'not_replayable', status, code, message };
}

/** Why a delivery has no kept payload, as the answer to a replay of it. */
function whyNoPayload(delivery: DeliveryRecord, webhook: ResolvedWebhook | null, now: Date, defaultSeconds?: number) {
  if (delivery.outcome === 'challenge')
    return notReplayable(
      409,
      'delivery_not_replayable',
      `Delivery ${delivery.id} was a provider handshake; there is nothing to replay.`,
    );
  if (delivery.outcome === 'rejected' && (delivery.httpStatus === 401 || delivery.httpStatus === 413))
    return notReplayable(
      409,
      'delivery_unverified',
      `Delivery ${delivery.id} failed verification (${delivery.reason ?? delivery.httpStatus}), so nothing of it was kept; ask the provider to send it again.`,
    );
  const seconds = webhook ? payloadRetentionSeconds(webhook.spec, defaultSeconds) : defaultSeconds;
  if (seconds === 0)
    return notReplayable(
      410,
      'payload_not_kept',
      `The webhook keeps no payloads (spec.retention.payloads: 0), so delivery ${delivery.id} cannot be replayed; set a retention to replay later deliveries.`,
    );
  if (seconds !== undefined && delivery.receivedAt.getTime() < now.getTime() - seconds * 1000)
    return notReplayable(
      410,
      'payload_expired',
      `The payload of delivery ${delivery.id} was purged: it is older than the webhook's payload retention (spec.retention.payloads); ask the provider to send it again.`,
    );
  return notReplayable(
    410,
    'payload_gone',
    `No payload is kept for delivery ${delivery.id} (it arrived before payloads were kept, or was purged); ask the provider to send it again.`,
  );
}

/** Replays deliveries through this ingress's pipeline (one ledger, as the delivery router's). */
export function createDeliveryReplayer(deps: DeliveryDeps) {
  const ledger = createDeliveryLedger(deps);

  function resolve(record: NonNullable<Awaited<ReturnType<DeliveryDeps['store']['webhooks']['get']>>>) {
    const parsed = webhookSpec.safeParse(record.spec);
    const profile = parsed.success ? getProfile(parsed.data.profile) : undefined;
    return parsed.success && profile ? { record, spec: parsed.data, profile } : null;
  }

  /** The verdict of a replay of `delivery` with its kept request `payload` (already known to exist). */
  async function decide(
    ctx: DeliveryContext,
    webhook: ResolvedWebhook,
    delivery: DeliveryRecord,
    payload: KeptPayload,
    options: ReplayOptions,
  ): Promise<{ verdict: Verdict; eventId?: string }> {
    const inbound: InboundRequest = {
      rawBody: payload.body,
      headers: payload.headers,
      url: '',
      receivedAt: ctx.receivedAt,
    };
    ctx.inbound = inbound;
    const maxDepth = webhook.spec.limits?.maxDepth ?? deps.maxJsonDepth;
    const parsed = parsePayload(inbound.rawBody, inbound.headers['content-type'], maxDepth);
    if (!parsed.ok && parsed.code === 'payload_too_deep') {
      const message = tooDeepMessage(maxDepth, 'spec.limits.maxDepth');
      return {
        verdict: {
          kind: 'refused',
          status: 400,
          code: 'payload_too_deep',
          message,
          reason: parsed.reason,
          verified: true,
        },
      };
    }
    const admitted = await timed(ctx, 'admit', () => admit(deps, webhook, inbound, { parsed }, { replay: true }));
    if (admitted.kind !== 'next') return { verdict: admitted };
    // The event it was (as the provider's retry would carry it), unless a fresh run is asked for.
    const eventId = options.newEventId ? freshEventId(delivery.eventId) : (delivery.eventId ?? admitted.event.eventId);
    const event = { ...admitted.event, eventId };
    ctx.eventId = eventId;
    const reserved = await timed(ctx, 'reserve', () =>
      reserve(deps, webhook, event, inbound, { of: delivery.id, jobId: options.jobId }),
    );
    if (reserved.kind !== 'next') return { verdict: reserved, eventId };
    const { reservation } = reserved;
    ctx.reservation = { deliveryId: reservation.delivery.id, holdsKey: reservation.reserved };
    const verdict = await timed(ctx, 'act', () =>
      act(deps, { webhook, inbound, event, reservation, replay: true }, planActions(webhook.spec)),
    );
    return { verdict, eventId };
  }

  return async function replay(
    namespace: string,
    deliveryId: string,
    options: ReplayOptions = {},
  ): Promise<ReplayResult> {
    const found = await deps.store.deliveries.getInNamespace(namespace, deliveryId);
    if (!found) return notReplayable(404, 'not_found', `No delivery ${deliveryId} in namespace ${namespace}.`);
    const { delivery } = found;
    const record = await deps.store.webhooks.get(namespace, found.webhook);
    const webhook = record ? resolve(record) : null;
    const now = deps.now();
    const payload = await deps.store.deliveries.getPayload(delivery.id);
    if (!payload) return whyNoPayload(delivery, webhook, now, deps.payloadRetentionSeconds);
    if (!record || !webhook)
      return notReplayable(
        409,
        'webhook_invalid',
        `Webhook ${namespace}/${found.webhook} no longer parses or names a missing profile; re-apply it, then replay.`,
      );

    const ctx = createDeliveryContext(record.endpointId, now);
    ctx.webhook = webhook;
    ctx.replayOf = delivery.id;
    if (options.jobId) ctx.replayJobId = options.jobId;
    const { verdict, eventId } = await decide(ctx, webhook, delivery, payload, options);
    await timed(ctx, 'record', () => ledger.record(ctx, verdict));
    deps.logger.info('delivery replayed', {
      webhook: `${namespace}/${record.name}`,
      replayOf: delivery.id,
      deliveryId: ctx.reservation?.deliveryId ?? ctx.recordedId,
      outcome: verdict.kind,
    });
    return {
      kind: 'replayed',
      verdict,
      deliveryId: ctx.reservation?.deliveryId ?? ctx.recordedId,
      replayOf: delivery.id,
      eventId,
    };
  };
}

export type DeliveryReplayer = ReturnType<typeof createDeliveryReplayer>;
