/**
 * The example workflows `npm start` runs on task queue `tempohook-examples`. Workflow code:
 * sandboxed, so it imports only @temporalio/workflow and workflow-safe modules.
 */
import { log, proxyActivities, setCurrentDetails } from '@temporalio/workflow';
import type { ExampleActivities } from './activities';
import type { WebhookStartInput } from '../workflows/definitions';
import type { Duration } from '@temporalio/common';
import { waitForWebhook, type WaitForWebhookResult } from '../workflows/wait-for-webhook';

const { summarizeWebhookPayload } = proxyActivities<ExampleActivities>({
  startToCloseTimeout: '30 seconds',
  summary: 'summarize the webhook payload',
});

export interface WeeklyReportResult {
  webhook: string;
  eventId: string;
  source: string;
  receivedAt: string;
  summary: Awaited<ReturnType<ExampleActivities['summarizeWebhookPayload']>>;
  /** Mapped `input` fields of the webhook's start template, passed through. */
  mapped: Record<string, unknown>;
}

/** Builds a (tiny) report from the delivery that started it. */
export async function weeklyReport(input: WebhookStartInput): Promise<WeeklyReportResult> {
  const {
    webhook_payload,
    webhook_event_id,
    webhook_received_at,
    webhook_source,
    webhook_name,
    webhook_namespace,
    webhook_delivery_id,
    webhook_normalized: _normalized,
    ...mapped
  } = input;
  setCurrentDetails(
    `Building the report for event \`${webhook_event_id}\` (${webhook_source}) from webhook \`${webhook_namespace}/${webhook_name}\``,
  );
  log.info('weekly report started', { eventId: webhook_event_id, deliveryId: webhook_delivery_id });
  const summary = await summarizeWebhookPayload({ webhook_payload });
  setCurrentDetails(`Report ready: ${summary.keys.length} payload keys, ${summary.bytes} bytes`);
  return {
    webhook: `${webhook_namespace}/${webhook_name}`,
    eventId: webhook_event_id,
    source: webhook_source,
    receivedAt: webhook_received_at,
    summary,
    mapped,
  };
}

/** Waits (up to `timeout`, default 1 hour) for a push to `repository` on the example `github-push` webhook. */
export async function awaitGithubPush(input: {
  repository: string;
  timeout?: Duration;
}): Promise<WaitForWebhookResult> {
  return waitForWebhook('github-push', {
    match: { '$.repository.full_name': input.repository },
    timeout: input.timeout ?? '1 hour',
    since: 'workflowStart',
  });
}
