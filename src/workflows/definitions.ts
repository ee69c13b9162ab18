/**
 * Definitions shared by the ingress, the worker, workflow code and tests.
 * Workflow-safe: imports nothing but Temporal's sandbox-safe packages.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Search attributes the ingress sets on every run it starts (registered on the dev server). */
export const webhookSearchAttribute = defineSearchAttributeKey('TempohookWebhook', SearchAttributeType.KEYWORD);
export const eventIdSearchAttribute = defineSearchAttributeKey('TempohookEventId', SearchAttributeType.KEYWORD);
export const sourceSearchAttribute = defineSearchAttributeKey('TempohookSource', SearchAttributeType.KEYWORD);

/** Every search attribute tempohook needs on the server, for provisioning and docs. */
export const tempohookSearchAttributes = [webhookSearchAttribute, eventIdSearchAttribute, sourceSearchAttribute] as const;

/** The input every webhook-started run receives (plus the webhook's mapped `input` fields). */
export interface WebhookStartInput {
  webhook_payload: unknown;
  webhook_event_id: string;
  webhook_received_at: string;
  /** The provider event, e.g. `push` for GitHub, or the profile name when the provider sends none. */
  webhook_source: string;
  webhook_delivery_id: string;
  webhook_name: string;
  webhook_namespace: string;
  /** The normalized view of a known payload family (Docker Hub, Harbor, GitHub, GitLab); absent otherwise. */
  webhook_normalized?: Record<string, unknown>;
  [mapped: string]: unknown;
}

/** Task queue of the example worker that `npm start` runs. */
export const EXAMPLES_TASK_QUEUE = 'tempohook-examples';

/** Memo key under which the ingress describes the delivery that started a run. */
export const TEMPOHOOK_MEMO_KEY = 'tempohook';

/** The `tempohook` memo of a run the ingress started (small: memos should stay under 2 KiB). */
export interface TempohookRunMemo {
  webhook: string;
  profile: string;
  eventId: string;
  deliveryId: string;
  source: string;
  receivedAt: string;
}
