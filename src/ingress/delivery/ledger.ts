/**
 * The delivery ledger: every history write of a delivery, in one place — its row in the
 * delivery log, the webhook's status (verified, counters, last error) and, for an outage that
 * may leave no row, the error log. History writes never turn an answer into a 500: a failed
 * write is logged.
 */
import type { Logger } from '../../logger';
import { createCoalescingWriter } from '../../store/coalescing-writer';
import type { DeliveryOutcome, RouteRecording, Store, UnreservedDeliveryInput } from '../../store/types';
import type { DeliveryContext, ResolvedWebhook } from './context';
import { keptPayload } from './keep-payload';
import type { DeliveryCompletion, Verdict } from './verdict';

export interface DeliveryLedger {
  /** Records what the verdict says happened to the delivery the context describes. */
  record(ctx: DeliveryContext, verdict: Verdict): Promise<void>;
}

interface UnreservedRow {
  outcome: DeliveryOutcome;
  status: number;
  reason: string;
  eventId?: string | null | undefined;
  sourceEvent?: string | null | undefined;
}

export function createDeliveryLedger(deps: {
  store: Store;
  logger: Logger;
  payloadRetentionSeconds?: number | undefined;
}): DeliveryLedger {
  const { store, logger: log } = deps;

  // Rows of requests that held no key (mostly refusals: junk costs no store session of its own)
  // are written together, one statement per batch, while at most one batch is in flight.
  let lastDropWarning = 0;
  const unreserved = createCoalescingWriter<UnreservedDeliveryInput>(
    (rows) => store.deliveries.recordUnreservedMany(rows),
    {
      onError: (err, count) => log.warn('could not record deliveries', { count, error: (err as Error).message }),
      onDrop: (dropped) => {
        if (Date.now() - lastDropWarning < 10_000) return;
        lastDropWarning = Date.now();
        log.warn('delivery log behind: refusals not recorded', { dropped });
      },
    },
  );

  /**
   * A row for a request that never held a dedup key; a refusal also sets the webhook's last error.
   * A verified one (filtered, rate-limited, without an event id…) keeps its payload.
   */
  async function recordUnreserved(ctx: DeliveryContext, row: UnreservedRow, verified: boolean) {
    const webhook = ctx.webhook!;
    const payload =
      verified && ctx.inbound ? keptPayload(webhook, ctx.inbound, deps.payloadRetentionSeconds) : undefined;
    const input: UnreservedDeliveryInput = {
      webhookId: webhook.record.id,
      eventId: row.eventId ?? null,
      sourceEvent: row.sourceEvent ?? null,
      receivedAt: ctx.receivedAt,
      outcome: row.outcome,
      httpStatus: row.status,
      reason: row.reason,
      ...(payload ? { payload } : {}),
    };
    if (!ctx.replayOf) return unreserved.write(input);
    // A replay is answered with its own row: written at once, not in a batch.
    try {
      ctx.recordedId = (
        await store.deliveries.recordUnreserved({
          ...input,
          replayOf: ctx.replayOf,
          replayJobId: ctx.replayJobId ?? null,
        })
      ).id;
    } catch (err) {
      log.error('could not record a replayed delivery', { replayOf: ctx.replayOf, error: (err as Error).message });
    }
  }

  /** The outcome of a delivery that held or found a key, with what `also` asks for, in one statement. */
  async function complete(
    deliveryId: string,
    completion: DeliveryCompletion,
    also: Parameters<Store['deliveries']['complete']>[2] = {},
  ) {
    try {
      await store.deliveries.complete(deliveryId, completion, also);
    } catch (err) {
      // Temporal already holds the run; the pending row stays as evidence and the key stays held.
      log.error(also.release ? 'could not release delivery reservation' : 'could not record delivery outcome', {
        deliveryId,
        error: (err as Error).message,
      });
    }
  }

  /** A held delivery that did not go through: only the key holder may free the key, so a retry can succeed. */
  async function fail(
    reservation: { deliveryId: string; holdsKey: boolean },
    status: number,
    reason: string,
    routes: RouteRecording | undefined,
  ) {
    const { deliveryId, holdsKey } = reservation;
    await complete(
      deliveryId,
      { outcome: 'failed', httpStatus: status, reason },
      { release: holdsKey, ...(routes ? { routes } : {}) },
    );
  }

  /** Webhook status (verified, counters) is bookkeeping: a failure is logged, never the answer. */
  async function markAccepted(webhook: ResolvedWebhook, at: Date) {
    await store.webhooks
      .recordAccepted(webhook.record.id, at)
      .catch((err: unknown) => log.warn('could not update webhook status', { error: (err as Error).message }));
  }

  return {
    async record(ctx, verdict) {
      const { webhook, reservation, receivedAt } = ctx;
      const verified = (v: Verdict) => v.kind === 'ignored' || (v.kind === 'refused' && v.verified === true);
      if (verdict.kind === 'unavailable') {
        const { dependency, during, detail } = verdict;
        log.error(`${dependency === 'store' ? 'store' : 'Temporal'} unavailable while ${during}`, {
          ...(webhook ? { webhook: webhook.record.name } : {}),
          ...(reservation ? { deliveryId: reservation.deliveryId, released: reservation.holdsKey } : {}),
          error: detail,
        });
        if (reservation)
          await fail(
            reservation,
            503,
            dependency === 'store' ? `store unavailable while ${during}` : `Temporal unavailable: ${detail}`,
            verdict.routes,
          );
        return;
      }
      if (!webhook) return;
      switch (verdict.kind) {
        case 'endpoint_not_found':
        case 'webhook_invalid':
          return;
        case 'refused':
          // A store refusal after the reservation: free the key like any failed delivery.
          if (reservation) return fail(reservation, verdict.status, verdict.reason, verdict.routes);
          return recordUnreserved(ctx, { outcome: 'rejected', ...verdict }, verified(verdict));
        case 'handshake':
          await recordUnreserved(
            ctx,
            { outcome: 'challenge', status: verdict.challenge.status, reason: 'handshake answered' },
            false,
          );
          return markAccepted(webhook, receivedAt);
        case 'ignored':
          await recordUnreserved(ctx, { outcome: 'ignored', status: 202, ...verdict }, true);
          return markAccepted(webhook, receivedAt);
        case 'start_refused':
          if (reservation) await fail(reservation, verdict.status, verdict.detail, verdict.routes);
          await store.webhooks.recordError(webhook.record.id, verdict.detail, receivedAt).catch(() => undefined);
          return;
        case 'accepted': {
          const failed = verdict.answer.failed ?? [];
          await Promise.all([
            // The delivery's outcome and the webhook's status: the one round trip after the start.
            complete(verdict.answer.deliveryId, verdict.completion, {
              accepted: { webhookId: webhook.record.id, at: receivedAt },
              ...(verdict.routes ? { routes: verdict.routes } : {}),
            }),
            // A route refused for good beside others that went through: the operator must fix it.
            ...(failed.length > 0
              ? [
                  store.webhooks
                    .recordError(webhook.record.id, verdict.completion.reason ?? 'a route failed', receivedAt)
                    .catch(() => undefined),
                ]
              : []),
          ]);
          return;
        }
      }
    },
  };
}
