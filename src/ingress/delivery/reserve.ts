/**
 * Stage 5: the dedup key (webhook, event id) for the webhook's window, taken atomically with a
 * `pending` history row. A delivery that finds the key held gets a row of its own pointing at
 * the original; `act` decides whether that original already acted.
 */
import type { ReserveResult, Store } from '../../store/types';
import type { InboundRequest } from '../../verify/types';
import { keptPayload } from './keep-payload';
import type { AdmittedEvent } from './admit';
import type { ResolvedWebhook } from './context';
import { next, storeFailure, type StageResult } from './verdict';

export async function reserve(
  deps: { store: Store; payloadRetentionSeconds?: number | undefined },
  webhook: ResolvedWebhook,
  event: AdmittedEvent,
  inbound: InboundRequest,
  /** A replay: the delivery it replays, and its bulk job. */
  replay?: { of: string; jobId?: string | undefined },
): Promise<StageResult<{ reservation: ReserveResult }>> {
  const { record, spec, profile } = webhook;
  try {
    // The kept payload rides in the reservation's statement: no round trip of its own.
    const reservation = await deps.store.deliveries.reserve({
      webhookId: record.id,
      eventId: event.eventId,
      sourceEvent: event.sourceEvent,
      receivedAt: inbound.receivedAt,
      windowSeconds: spec.dedupWindow ?? profile.defaultDedupWindowSeconds,
      payload: keptPayload(webhook, inbound, deps.payloadRetentionSeconds),
      ...(replay ? { replayOf: replay.of, ...(replay.jobId ? { replayJobId: replay.jobId } : {}) } : {}),
    });
    return next({ reservation });
  } catch (err) {
    return storeFailure('reserving delivery', err);
  }
}
