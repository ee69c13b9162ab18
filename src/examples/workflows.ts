/**
 * The example workflows `npm start` runs on task queue `tempohook-examples`. Workflow code:
 * sandboxed, so it imports only @temporalio/workflow and workflow-safe modules.
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  defineQuery,
  log,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { onWebhook } from '../workflows/on-webhook';
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

/*
 * Routing (examples/github-routes.yaml, examples/stripe-entities.yaml): one GitHub webhook starts
 * deployOnPush for pushes to main and reviewPullRequest for pull requests, and feeds every event
 * of a repository to that repository's repositoryActivity entity; one Stripe webhook feeds each
 * customer's stripeCustomer entity. The payload shapes below are the few fields the examples read;
 * real code can use `PushEvent` from @octokit/webhooks-types or `Stripe.Event`.
 */

/** The fields of a GitHub `push` payload the examples read. */
export interface GithubPushPayload {
  ref: string;
  after: string;
  repository: { full_name: string };
}

/** The fields of a GitHub `pull_request` payload the examples read. */
export interface GithubPullRequestPayload {
  action: string;
  number: number;
  pull_request: { title: string };
  repository: { full_name: string };
}

/** Started by route `deploy` for a push to main: would deploy `after` (here it says what it would do). */
export async function deployOnPush(input: WebhookStartInput<GithubPushPayload>) {
  const { repository, ref, after } = input.webhook_payload;
  setCurrentDetails(`Deploying \`${repository.full_name}\` at \`${after}\` (${ref})`);
  log.info('deploy', { repository: repository.full_name, commit: after });
  return { repository: repository.full_name, ref, commit: after, eventId: input.webhook_event_id };
}

/** Started by route `review` for every pull_request event. */
export async function reviewPullRequest(input: WebhookStartInput<GithubPullRequestPayload>) {
  const { action, number, pull_request, repository } = input.webhook_payload;
  setCurrentDetails(`Reviewing ${repository.full_name}#${number} (${action}): ${pull_request.title}`);
  return { repository: repository.full_name, number, action, eventId: input.webhook_event_id };
}

/** What an entity carries across continue-as-new: its state, and the event ids it must still drop. */
export interface EntityCarry<S> {
  state?: S;
  seenEventIds?: string[];
}

/** How many events of each kind a repository's entity has seen (all runs). */
export type RepositoryActivityState = Record<string, number>;

/** Not exported: this module exports workflows (and types) only. */
const repositoryActivityQuery = defineQuery<RepositoryActivityState>('repositoryActivity');

/**
 * One long-lived run per repository (`repository/{payload.repository.full_name}`), fed by route
 * `activity` with every event of the repository: counts them by kind. Continues as new when
 * Temporal suggests it, carrying the counts and the recent event ids `onWebhook` must still drop.
 */
export async function repositoryActivity(input: EntityCarry<RepositoryActivityState> = {}): Promise<void> {
  const counts: RepositoryActivityState = { ...(input.state ?? {}) };
  const events = onWebhook(
    (delivery) => {
      counts[delivery.source] = (counts[delivery.source] ?? 0) + 1;
      setCurrentDetails(`Events so far: ${JSON.stringify(counts)}`);
    },
    { seenEventIds: input.seenEventIds },
  );
  setHandler(repositoryActivityQuery, () => counts);
  await condition(() => workflowInfo().continueAsNewSuggested);
  await condition(allHandlersFinished);
  await continueAsNew<typeof repositoryActivity>({ state: counts, seenEventIds: events.recentEventIds() });
}

/** The fields of a Stripe event the example reads. */
export interface StripeEventPayload {
  id: string;
  type: string;
  data: { object: { id?: string; customer?: string | null } };
}

/** What a customer's entity keeps: the last event and how many it has seen. */
export interface StripeCustomerState {
  events: number;
  lastEventType?: string;
}

/**
 * One long-lived run per Stripe customer (`stripe-customer/{payload.data.object.customer}`):
 * every event about the customer, once each, in arrival order.
 */
export async function stripeCustomer(input: EntityCarry<StripeCustomerState> = {}): Promise<void> {
  const state: StripeCustomerState = { events: 0, ...input.state };
  const events = onWebhook<StripeEventPayload>(
    (delivery) => {
      state.events++;
      state.lastEventType = delivery.payload.type;
      setCurrentDetails(`${state.events} events; last: ${delivery.payload.type}`);
    },
    { seenEventIds: input.seenEventIds },
  );
  await condition(() => workflowInfo().continueAsNewSuggested);
  await condition(allHandlersFinished);
  await continueAsNew<typeof stripeCustomer>({ state, seenEventIds: events.recentEventIds() });
}
