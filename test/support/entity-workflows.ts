/** Test entity workflows fed by `tempohook.webhook` signals through `onWebhook` (bundled with the other test workflows). */
import { allHandlersFinished, condition, continueAsNew, defineQuery, setHandler } from '@temporalio/workflow';
import { onWebhook } from '../../src/workflows';

export interface EntityRecorderInput {
  /** Continue as new once this run has handled this many events (default: never). */
  continueAfter?: number;
  seenEventIds?: string[];
  dedup?: 'history' | false;
  generation?: number;
}

export interface EntityRecord {
  generation: number;
  /** Event ids handed to the handler in this run, in order, with the route that sent each. */
  handled: { eventId: string; route: string; payload: unknown }[];
  dropped: number;
}

/** Not exported: this module may export workflows only (the test defines it by name). */
const entityRecordQuery = defineQuery<EntityRecord>('test.entityRecord');

/** Records every event `onWebhook` hands it; continues as new after `continueAfter` events, carrying the seen ids. */
export async function entityRecorder(input: EntityRecorderInput = {}): Promise<void> {
  const generation = input.generation ?? 0;
  const handled: EntityRecord['handled'] = [];
  const events = onWebhook<{ n?: number }>(
    (delivery, { route }) => {
      handled.push({ eventId: delivery.eventId, route, payload: delivery.payload });
    },
    { dedup: input.dedup, seenEventIds: input.seenEventIds },
  );
  setHandler(entityRecordQuery, () => ({ generation, handled, dropped: events.dropped }));
  const continueAfter = input.continueAfter;
  if (continueAfter === undefined) return condition(() => false);
  await condition(() => handled.length >= continueAfter);
  await condition(allHandlersFinished);
  await continueAsNew<typeof entityRecorder>({
    seenEventIds: events.recentEventIds(),
    dedup: input.dedup,
    generation: generation + 1,
  });
}
