/**
 * Stage 6: what an admitted, reserved delivery makes happen. The webhook's spec becomes a list
 * of actions (today: start its run, then signal the runs waiting on it); each action answers
 * with an outcome or a verdict that stops the delivery, and the outcomes make the 202.
 */
import type { Client } from '@temporalio/client';
import type { Logger } from '../../logger';
import type { WebhookSignalSpec, WebhookSpec, WebhookStartSpec } from '../../resources/schemas';
import type { TemplateContext } from '../../resources/template';
import type { DeliveryRecord, ReserveResult, Store } from '../../store/types';
import type { InboundRequest } from '../../verify/types';
import { visibleHeaders } from '../../waits/match';
import { signalMatchingWaits, type SignaledWait } from '../../waits/signal-waits';
import { startWebhookWorkflow } from '../workflow-starter';
import type { AdmittedEvent } from './admit';
import type { ResolvedWebhook } from './context';
import { buildStartRequest, renderWorkflowId } from './start-request';
import { storeFailure, type AcceptedAnswer, type DeliveryCompletion, type Verdict } from './verdict';

export type Action = { kind: 'start'; start: WebhookStartSpec } | { kind: 'signal'; signal: WebhookSignalSpec };

/** What one action did. */
export type ActionOutcome =
  | { kind: 'started'; duplicate: boolean; workflowId: string; runId: string | null }
  | { kind: 'signaled'; signaled: SignaledWait[] };

/** The actions a webhook takes on every admitted delivery, in order: start its run, then resume waiting runs. */
export function planActions(spec: Pick<WebhookSpec, 'start' | 'signal'>): Action[] {
  const actions: Action[] = [];
  if (spec.start) actions.push({ kind: 'start', start: spec.start });
  if (spec.signal?.enabled) actions.push({ kind: 'signal', signal: spec.signal });
  return actions;
}

export interface ActDeps {
  store: Store;
  client: Client;
  logger: Logger;
  temporalTimeoutMs: number;
  now: () => Date;
}

/** A delivery ready to act on: admitted, with its dedup reservation. */
export interface ReservedDelivery {
  webhook: ResolvedWebhook;
  inbound: InboundRequest;
  event: AdmittedEvent;
  reservation: ReserveResult;
}

export type PreparedAction =
  { kind: 'start'; start: WebhookStartSpec; workflowId: string } | Extract<Action, { kind: 'signal' }>;

export async function act(deps: ActDeps, delivery: ReservedDelivery, actions: readonly Action[]): Promise<Verdict> {
  const context = templateContext(delivery);
  const prepared: PreparedAction[] = [];
  for (const action of actions) {
    if (action.kind !== 'start') {
      prepared.push(action);
      continue;
    }
    const rendered = renderWorkflowId(action.start, context);
    if (rendered.unresolved.length > 0) {
      const detail = `workflow id template ${action.start.workflowId} left {${rendered.unresolved.join('}, {')}} empty for event ${context.eventId}`;
      return taskCreationFailed(detail);
    }
    prepared.push({ ...action, workflowId: rendered.value });
  }

  const repeat = answeredRepeat(delivery.reservation, prepared);
  if (repeat) return repeat;

  const outcomes: ActionOutcome[] = [];
  for (const action of prepared) {
    const outcome =
      action.kind === 'start'
        ? await startRun(deps, action, context)
        : await signalWaits(deps, action.signal, delivery, context);
    if (outcome.kind !== 'started' && outcome.kind !== 'signaled') return outcome;
    outcomes.push(outcome);
  }
  return accepted(delivery, outcomes);
}

function templateContext({ webhook, inbound, event, reservation }: ReservedDelivery): TemplateContext {
  return {
    namespace: webhook.record.namespace,
    webhook: webhook.record.name,
    eventId: event.eventId,
    deliveryId: reservation.delivery.id,
    source: event.sourceEvent ?? webhook.profile.name,
    profile: webhook.profile.name,
    receivedAt: inbound.receivedAt.toISOString(),
    payload: event.payload,
    headers: inbound.headers,
    normalized: event.normalized,
  };
}

/**
 * Layer 1 of dedup: a repeat is answered at once only when its original is known to have acted
 * (for a start: the run exists). A key held by a delivery still in flight, or one that crashed
 * before acting, must not swallow the retry: it goes on, and the deterministic workflow id
 * (layer 2) or the wait claims decide.
 */
export function answeredRepeat(reservation: ReserveResult, actions: readonly PreparedAction[]): Verdict | undefined {
  const original: DeliveryRecord | undefined = reservation.reserved ? undefined : reservation.original;
  if (!original) return undefined;
  const start = actions.find((action) => action.kind === 'start');
  const acted = start
    ? original.outcome === 'started' || original.outcome === 'duplicate'
    : original.outcome !== 'pending' && original.outcome !== 'failed';
  if (!acted) return undefined;
  const run = start ? { workflowId: original.workflowId ?? start.workflowId, runId: original.runId } : {};
  const deliveryId = reservation.delivery.id;
  return {
    kind: 'accepted',
    answer: {
      accepted: true,
      duplicate: true,
      deliveryId,
      originalDeliveryId: original.id,
      ...run,
      ...(actions.some((action) => action.kind === 'signal') ? { signaled: [] } : {}),
    },
    completion: { outcome: 'duplicate', httpStatus: 202, ...run, reason: `duplicate of delivery ${original.id}` },
  };
}

async function startRun(
  deps: ActDeps,
  action: Extract<PreparedAction, { kind: 'start' }>,
  context: TemplateContext,
): Promise<ActionOutcome | Verdict> {
  const built = buildStartRequest(action.start, action.workflowId, context);
  if (!built.ok)
    return {
      kind: 'start_refused',
      status: 413,
      code: 'payload_too_large_for_temporal',
      message: built.detail,
      detail: built.detail,
    };
  const outcome = await startWebhookWorkflow(deps.client, built.request, deps.temporalTimeoutMs);
  switch (outcome.kind) {
    case 'started':
    case 'already_started':
      return {
        kind: 'started',
        duplicate: outcome.kind === 'already_started',
        workflowId: outcome.workflowId,
        runId: outcome.runId,
      };
    case 'unavailable':
      return { kind: 'unavailable', dependency: 'temporal', during: 'starting the run', detail: outcome.detail };
    case 'rejected':
      deps.logger.warn('Temporal rejected the start', {
        webhook: context.webhook,
        deliveryId: context.deliveryId,
        error: outcome.detail,
      });
      return taskCreationFailed(`start rejected by Temporal: ${outcome.detail}`);
  }
}

/** A start that can never succeed as configured; the detail goes to history and status.lastError only. */
function taskCreationFailed(detail: string): Verdict {
  return {
    kind: 'start_refused',
    status: 400,
    code: 'webhook_task_creation_failed',
    message: 'webhook task creation failed',
    detail,
  };
}

/**
 * spec.signal: resume the runs waiting on a matching delivery (waitForWebhook). An outage
 * releases the key; claims already signaled stay signaled, so the provider's retry resumes
 * only the rest.
 */
async function signalWaits(
  deps: ActDeps,
  signal: WebhookSignalSpec,
  { webhook, event }: ReservedDelivery,
  context: TemplateContext,
): Promise<ActionOutcome | Verdict> {
  let outcome;
  try {
    outcome = await signalMatchingWaits({
      store: deps.store,
      client: deps.client,
      logger: deps.logger,
      temporalTimeoutMs: deps.temporalTimeoutMs,
      webhook: { id: webhook.record.id, name: webhook.record.name },
      signal,
      delivery: {
        deliveryId: context.deliveryId,
        eventId: event.eventId,
        receivedAt: context.receivedAt,
        source: context.source,
        payload: event.payload,
        headers: visibleHeaders(context.headers),
      },
      now: deps.now(),
    });
  } catch (err) {
    return storeFailure('matching waits', err);
  }
  if (outcome.kind === 'unavailable')
    return { kind: 'unavailable', dependency: 'temporal', during: 'signaling waits', detail: outcome.detail };
  return { kind: 'signaled', signaled: outcome.signaled };
}

/** The 202 and the history row of a delivery whose actions all went through. */
function accepted({ reservation }: ReservedDelivery, outcomes: readonly ActionOutcome[]): Verdict {
  const started = outcomes.find((outcome) => outcome.kind === 'started');
  const signaled = outcomes.find((outcome) => outcome.kind === 'signaled');
  const answer: AcceptedAnswer = {
    accepted: true,
    duplicate: started?.duplicate ?? false,
    deliveryId: reservation.delivery.id,
    ...(reservation.reserved ? {} : { originalDeliveryId: reservation.original.id }),
    ...(started ? { workflowId: started.workflowId, runId: started.runId } : {}),
    ...(signaled ? { signaled: signaled.signaled } : {}),
  };
  const runs = signaled?.signaled.length ?? 0;
  const completion: DeliveryCompletion = started
    ? {
        outcome: started.duplicate ? 'duplicate' : 'started',
        httpStatus: 202,
        workflowId: started.workflowId,
        runId: started.runId,
        reason: started.duplicate ? 'a run with this workflow id already exists' : null,
      }
    : { outcome: 'signaled', httpStatus: 202, reason: `signaled ${runs} waiting run${runs === 1 ? '' : 's'}` };
  return { kind: 'accepted', answer, completion };
}
