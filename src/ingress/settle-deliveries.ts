/**
 * A delivery log that settles: a delivery whose ingress was killed between the reservation and
 * the record, or whose final write failed during a database restart, stays `pending`, and every
 * repeat of its event goes back to Temporal instead of the reservation's fast duplicate answer.
 * The periodic job describes the deterministic workflow id of each such row older than a minute:
 * a run that exists settles the row `started` with that run (repeats are answered from the
 * reservation again); no run settles it `failed` and frees its dedup key, so the provider's retry
 * is processed anew. A workflow id template reading the payload or headers renders from the
 * delivery's kept request. Releasing is always safe: the deterministic id still decides (layer 2).
 */
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import { normalizePayload } from '../filters';
import type { Logger } from '../logger';
import { webhookSpec } from '../resources/schemas';
import type { PendingDeliveryClaim, PendingSettlement, Store } from '../store/types';
import { describeTemporalError, grpcCode } from '../temporal/errors';
import { getProfile } from '../verify';
import { safely } from './delivery/safely';
import { renderWorkflowId } from './delivery/start-request';
import { parsePayload } from './payload';

/** A pending row younger than this may still be in flight: it is left alone. */
export const SETTLE_PENDING_AFTER_MS = 60_000;

const SETTLE_CONCURRENCY = 10;

export interface SettlePendingOptions {
  store: Store;
  client: Client;
  logger: Logger;
  temporalTimeoutMs: number;
  now?: Date;
  /** Rows received less than this long ago are left alone (default one minute). */
  olderThanMs?: number;
  /** Rows claimed per call (default 200). */
  limit?: number;
  /** A row claimed but not settled (Temporal down) is looked at again after this long (default one minute). */
  lookAgainAfterMs?: number;
}

export interface SettlePendingResult {
  started: number;
  released: number;
  /** Temporal did not answer: left pending for the next run. */
  unsettled: number;
}

/** A kept request as a workflow id template reads it: the parsed payload and the (credential-free) headers. */
export interface KeptRequest {
  payload: unknown;
  headers: Readonly<Record<string, string>>;
}

/**
 * The deterministic workflow id a pending delivery's start would have used, or why none can be
 * rendered: routes, signal-only webhooks, and templates reading the payload or headers when the
 * request was not kept (`readsRequest` says a kept request would render it).
 */
export function pendingWorkflowId(
  claim: PendingDeliveryClaim,
  kept?: KeptRequest,
): { workflowId: string } | { why: string; readsRequest?: true } {
  const parsed = webhookSpec.safeParse(claim.webhook.spec);
  if (!parsed.success) return { why: 'its webhook spec is no longer valid' };
  const spec = parsed.data;
  if (spec.routes) return { why: 'its webhook has routes, which record what they did themselves' };
  if (!spec.start) return { why: 'its webhook starts no workflow' };
  if (claim.eventId === null) return { why: 'it has no event id' };
  const profile = getProfile(spec.profile)?.name ?? spec.profile;
  const rendered = renderWorkflowId(spec.start, {
    namespace: claim.webhook.namespace,
    webhook: claim.webhook.name,
    eventId: claim.eventId,
    deliveryId: claim.id,
    source: claim.sourceEvent ?? profile,
    profile,
    receivedAt: claim.receivedAt.toISOString(),
    payload: kept?.payload,
    headers: kept?.headers ?? {},
    normalized: kept ? (safely(() => normalizePayload(kept.payload, kept.headers)) ?? undefined) : undefined,
  });
  if (rendered.unresolved.length > 0)
    return kept
      ? { why: `its workflow id template reads ${rendered.unresolved.join(', ')}, which its kept request lacks` }
      : {
          why: `its workflow id template reads ${rendered.unresolved.join(', ')}, and its request was not kept`,
          readsRequest: true,
        };
  return { workflowId: rendered.value };
}

/** The delivery's kept request (spec.retention.payloads), parsed; undefined when none is kept or it no longer parses. */
async function keptRequest(store: Store, claim: PendingDeliveryClaim): Promise<KeptRequest | undefined> {
  const kept = await store.deliveries.getPayload(claim.id);
  if (!kept) return undefined;
  const parsed = parsePayload(kept.body, kept.contentType ?? undefined);
  return parsed.ok ? { payload: parsed.payload, headers: kept.headers } : undefined;
}

/** What Temporal says about one claimed row; undefined when Temporal did not answer. */
async function settlementFor(
  options: Pick<SettlePendingOptions, 'store' | 'client' | 'logger' | 'temporalTimeoutMs'>,
  claim: PendingDeliveryClaim,
): Promise<PendingSettlement | undefined> {
  let id = pendingWorkflowId(claim);
  // A template reading the payload or headers renders from the kept request, when there is one.
  if ('readsRequest' in id) {
    const kept = await keptRequest(options.store, claim).catch(() => undefined);
    if (kept) id = pendingWorkflowId(claim, kept);
  }
  if ('why' in id)
    return {
      outcome: 'released',
      reason: `settled after the ingress stopped before recording it: key released for the provider's retry (${id.why})`,
    };
  const { client } = options;
  try {
    const description = await client.withDeadline(Date.now() + options.temporalTimeoutMs, () =>
      client.workflow.getHandle(id.workflowId).describe(),
    );
    return {
      outcome: 'started',
      workflowId: id.workflowId,
      runId: description.runId,
      reason: 'settled from Temporal after the ingress stopped before recording it',
    };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError || grpcCode(err) === 5)
      return {
        outcome: 'released',
        reason: `settled after the ingress stopped before recording it: no run ${id.workflowId} in Temporal, key released for the provider's retry`,
      };
    options.logger.warn('could not describe the run of a pending delivery; the next pass tries again', {
      deliveryId: claim.id,
      workflowId: id.workflowId,
      error: describeTemporalError(err),
    });
    return undefined;
  }
}

/**
 * Settles one pending delivery now, whatever its age (a bulk replay's item left by a dead
 * ingress): `started` or `released` as it settled, `pending` when it was no longer pending (another
 * process recorded it), undefined when Temporal did not answer.
 */
export async function settleDelivery(
  options: Pick<SettlePendingOptions, 'store' | 'client' | 'logger' | 'temporalTimeoutMs'>,
  claim: PendingDeliveryClaim,
): Promise<'started' | 'released' | 'pending' | undefined> {
  const settlement = await settlementFor(options, claim);
  if (!settlement) return undefined;
  return (await options.store.deliveryUpkeep.settlePending(claim.id, settlement)) ? settlement.outcome : 'pending';
}

/** Settles the pending rows older than `olderThanMs`, up to `limit` per call. */
export async function settlePendingDeliveries(options: SettlePendingOptions): Promise<SettlePendingResult> {
  const now = options.now ?? new Date();
  const claims = await options.store.deliveryUpkeep.claimPending({
    receivedBefore: new Date(now.getTime() - (options.olderThanMs ?? SETTLE_PENDING_AFTER_MS)),
    now,
    lookAgainAfterMs: options.lookAgainAfterMs ?? SETTLE_PENDING_AFTER_MS,
    limit: options.limit ?? 200,
  });
  const result: SettlePendingResult = { started: 0, released: 0, unsettled: 0 };
  // A few describes at a time: the periodic job must not crowd the hot path's Temporal channel.
  for (let i = 0; i < claims.length; i += SETTLE_CONCURRENCY) {
    await Promise.all(
      claims.slice(i, i + SETTLE_CONCURRENCY).map(async (claim) => {
        const settlement = await settlementFor(options, claim);
        if (!settlement) {
          result.unsettled++;
          return;
        }
        if (await options.store.deliveryUpkeep.settlePending(claim.id, settlement)) result[settlement.outcome]++;
      }),
    );
  }
  if (result.started + result.released > 0) options.logger.info('settled pending deliveries', { ...result });
  return result;
}
