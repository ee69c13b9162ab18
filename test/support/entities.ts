/** Node-side helpers for tests of entity workflows (test/support/entity-workflows.ts): signals and the record query. */
import { randomUUID } from 'node:crypto';
import { defineQuery } from '@temporalio/workflow';
import type { WorkflowHandle } from '@temporalio/client';
import type { WebhookEventSignalInput } from '../../src/workflows/definitions';
import type { EntityRecord } from './entity-workflows';

/** The recorder's query, by name (the workflow module is not loaded outside the sandbox). */
export const entityRecordQuery = defineQuery<EntityRecord>('test.entityRecord');

/** What a `signalWithStart` route sends for event `eventId` (a fresh delivery id per call, as per attempt). */
export function entityEventSignal(eventId: string, route = 'entity', payload: unknown = {}): WebhookEventSignalInput {
  return {
    webhook: 'default/stripe',
    route,
    delivery: {
      deliveryId: randomUUID(),
      eventId,
      receivedAt: new Date().toISOString(),
      source: 'customer.updated',
      payload,
      headers: {},
    },
  };
}

/** Queries the entity until `done` holds or 20 s pass (signals are handled asynchronously). */
export async function entityRecord(handle: WorkflowHandle, done: (r: EntityRecord) => boolean): Promise<EntityRecord> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const record = await handle.query(entityRecordQuery);
    if (done(record) || Date.now() > deadline) return record;
    await new Promise((r) => setTimeout(r, 100));
  }
}
