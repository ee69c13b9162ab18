/**
 * Stage 6: what an admitted, reserved delivery makes happen. The webhook's spec becomes a list
 * of actions: its routes in order (`spec.routes`, or `spec.start` as the one catch-all route),
 * then signaling the runs waiting on it. The routes the delivery matches act at once (the first
 * one, or all of them with `mode: all`); each answers with a record, and the records make the 202,
 * the delivery log and what a retry need not redo.
 */
import type { Client } from '@temporalio/client';
import type { Logger } from '../../logger';
import type { WebhookSignalSpec, WebhookSpec } from '../../resources/schemas';
import type { TemplateContext } from '../../resources/template';
import type { DeliveryRecord, ReserveResult, RouteActionRecord, RouteRecording, Store } from '../../store/types';
import type { InboundRequest } from '../../verify/types';
import { visibleHeaders } from '../../waits/match';
import { signalMatchingWaits, type SignaledWait } from '../../waits/signal-waits';
import type { TemporalCircuit } from '../temporal-circuit';
import type { AdmittedEvent } from './admit';
import type { ResolvedWebhook } from './context';
import {
  routeActions,
  routeSubject,
  runRoute,
  selectRoutes,
  unresolvedRoute,
  type PreparedRouteAction,
  type RouteAction,
  type RouteResult,
} from './routes';
import { renderWorkflowId } from './start-request';
import {
  storeFailure,
  type AcceptedAnswer,
  type DeliveryCompletion,
  type SignaledEntity,
  type StartedRun,
  type Verdict,
} from './verdict';

export type Action = RouteAction | { kind: 'signal'; signal: WebhookSignalSpec };

/**
 * The actions a webhook may take on an admitted delivery, in order: its routes (each taken only
 * when the delivery matches it), then resuming waiting runs.
 */
export function planActions(spec: Pick<WebhookSpec, 'start' | 'signal' | 'routes'>): Action[] {
  const actions: Action[] = [];
  if (spec.routes) actions.push(...routeActions(spec.routes));
  else if (spec.start) actions.push({ kind: 'start', route: 'start', routed: false, start: spec.start });
  if (spec.signal?.enabled) actions.push({ kind: 'signal', signal: spec.signal });
  return actions;
}

export interface ActDeps {
  store: Store;
  client: Client;
  logger: Logger;
  temporalTimeoutMs: number;
  /** Refuses calls to Temporal at once while it is down (one probe at a time). */
  circuit?: TemporalCircuit;
  /** Takes the signals of a large fan-out, sent after the answer. */
  runInBackground?: (task: Promise<void>) => void;
  now: () => Date;
}

/** A delivery ready to act on: admitted, with its dedup reservation. */
export interface ReservedDelivery {
  webhook: ResolvedWebhook;
  inbound: InboundRequest;
  event: AdmittedEvent;
  reservation: ReserveResult;
  /**
   * A replay: waits are offered the delivery even when its event was answered before (a wait
   * opened since then is resumed; the claims keep each run from taking it twice).
   */
  replay?: boolean;
}

export type PreparedAction = PreparedRouteAction | Extract<Action, { kind: 'signal' }>;

export async function act(deps: ActDeps, delivery: ReservedDelivery, actions: readonly Action[]): Promise<Verdict> {
  const context = templateContext(delivery);
  const signal = actions.find((action) => action.kind === 'signal');
  const selected = selectRoutes(
    actions.filter((action) => action.kind !== 'signal'),
    delivery.webhook.spec.mode,
    () => routeSubject(context),
  );
  const prepared: PreparedAction[] = [];
  const unresolved: RouteResult[] = [];
  for (const action of selected) {
    const template = action.kind === 'start' ? action.start : action.signalWithStart;
    const rendered = renderWorkflowId(template, context, action.routed ? action.route : undefined);
    if (rendered.unresolved.length > 0) {
      unresolved.push(
        unresolvedRoute(action, template.workflowId ?? '(default)', rendered.unresolved, context.eventId),
      );
      continue;
    }
    prepared.push({ ...action, workflowId: rendered.value });
  }
  if (signal) prepared.push(signal);
  // A lone catch-all start whose id renders empty is refused before anything else, as it always was.
  if (unresolved.length > 0 && selected.length === 1 && !selected[0]!.routed) return unresolved[0]!.verdict!;

  const repeat = delivery.replay && signal ? undefined : answeredRepeat(delivery.reservation, prepared);
  if (repeat) return repeat;

  const routes = prepared.filter((action): action is PreparedRouteAction => action.kind !== 'signal');
  // What earlier deliveries of this event did (read with the reservation): done routes are not redone.
  const earlier = new Map((delivery.reservation.earlierRoutes ?? []).map((r) => [r.route, r]));
  const results = [
    ...unresolved,
    ...(await Promise.all(
      routes.map(async (action): Promise<RouteResult> => {
        const done = earlier.get(action.route);
        return done?.status === 'skipped' ? { record: done } : runRoute(deps, action, context);
      }),
    )),
  ];
  // Recorded by the ledger with the delivery's outcome, in the statement that frees a released key.
  const recording =
    delivery.webhook.spec.routes !== undefined && results.length > 0 ? routeRecording(delivery, results) : undefined;
  const withRoutes = (verdict: Verdict): Verdict => (recording ? { ...verdict, routes: recording } : verdict);

  const retryable = results.find((r) => r.record.status === 'unavailable');
  if (retryable) return withRoutes(retryable.verdict!);
  const failures = results.filter((r) => r.record.status === 'failed');
  if (failures.length > 0 && failures.length === results.length) return withRoutes(failures[0]!.verdict!);

  let waits: WaitsOutcome | undefined;
  if (signal) {
    const outcome = await signalWaits(deps, signal.signal, delivery, context);
    if (outcome.kind !== 'signaled') return withRoutes(outcome);
    waits = outcome;
  }
  return withRoutes(accepted(delivery, results, waits));
}

function routeRecording(
  { webhook, event, inbound }: ReservedDelivery,
  results: readonly RouteResult[],
): RouteRecording {
  const windowSeconds = webhook.spec.dedupWindow ?? webhook.profile.defaultDedupWindowSeconds;
  return {
    webhookId: webhook.record.id,
    eventId: event.eventId,
    now: inbound.receivedAt,
    expiresAt: new Date(inbound.receivedAt.getTime() + windowSeconds * 1000),
    actions: results.map((r) => r.record),
  };
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
 * (layer 2), the entity's request id or the wait claims decide.
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
  const listed = original.actions ? listActions(original.actions) : undefined;
  const entities = actions.some((action) => action.kind === 'signalWithStart');
  return {
    kind: 'accepted',
    answer: {
      accepted: true,
      duplicate: true,
      deliveryId,
      originalDeliveryId: original.id,
      ...run,
      ...(listed && listed.started.length > 0 ? { started: listed.started } : {}),
      ...(actions.some((action) => action.kind === 'signal') || entities
        ? { signaled: entities && listed ? listed.signaled : [] }
        : {}),
    },
    completion: { outcome: 'duplicate', httpStatus: 202, ...run, reason: `duplicate of delivery ${original.id}` },
  };
}

/** The runs the route records name, as the 202 lists them. */
function listActions(records: readonly RouteActionRecord[]): { started: StartedRun[]; signaled: SignaledEntity[] } {
  const started: StartedRun[] = [];
  const signaled: SignaledEntity[] = [];
  for (const r of records) {
    if (r.status === 'failed' || r.status === 'unavailable' || r.workflowId === null) continue;
    const duplicate = r.status === 'already_started' || r.status === 'skipped';
    if (r.action === 'start') started.push({ route: r.route, workflowId: r.workflowId, runId: r.runId, duplicate });
    else signaled.push({ route: r.route, workflowId: r.workflowId, runId: r.runId, duplicate });
  }
  return { started, signaled };
}

/** The waiting runs a delivery signaled; `claimed`: a large fan-out whose signals go out after the answer. */
type WaitsOutcome = { kind: 'signaled'; signaled: SignaledWait[]; claimed?: SignaledWait[] };

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
): Promise<WaitsOutcome | Verdict> {
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
      ...(deps.runInBackground ? { runInBackground: deps.runInBackground } : {}),
    });
  } catch (err) {
    return storeFailure('matching waits', err);
  }
  if (outcome.kind === 'unavailable')
    return { kind: 'unavailable', dependency: 'temporal', during: 'signaling waits', detail: outcome.detail };
  if (outcome.kind === 'claimed') return { kind: 'signaled', signaled: [], claimed: outcome.claimed };
  return { kind: 'signaled', signaled: outcome.signaled };
}

/**
 * The 202 and the history row of a delivery whose routes went through (a route refused for good
 * beside others that went through is listed in `failed`) and whose waits were signaled.
 */
function accepted(
  { reservation }: ReservedDelivery,
  results: readonly RouteResult[],
  waits: WaitsOutcome | undefined,
): Verdict {
  const records = results.map((r) => r.record);
  const { started, signaled } = listActions(records);
  const failed = records
    .filter((r) => r.status === 'failed')
    .map((r) => ({ route: r.route, action: r.action, reason: r.reason ?? 'failed' }));
  const acted = [...started, ...signaled];
  const first = started[0];
  const duplicate = acted.length > 0 && acted.every((a) => a.duplicate);
  const answer: AcceptedAnswer = {
    accepted: true,
    duplicate,
    deliveryId: reservation.delivery.id,
    ...(reservation.reserved ? {} : { originalDeliveryId: reservation.original.id }),
    ...(first ? { workflowId: first.workflowId, runId: first.runId, started } : {}),
    ...(waits || signaled.length > 0 ? { signaled: [...signaled, ...(waits?.signaled ?? [])] } : {}),
    ...(waits?.claimed ? { claimed: waits.claimed } : {}),
    ...(failed.length > 0 ? { failed } : {}),
  };
  const failedText = failed.map((f) => `route ${f.route} failed: ${f.reason}`).join('; ');
  const runs = waits?.signaled.length ?? 0;
  const claimed = waits?.claimed?.length ?? 0;
  const completion: DeliveryCompletion =
    acted.length > 0
      ? {
          outcome: duplicate ? 'duplicate' : first ? 'started' : 'signaled',
          httpStatus: 202,
          ...(first ? { workflowId: first.workflowId, runId: first.runId } : {}),
          reason: failedText || (duplicate ? 'a run with this workflow id already exists' : null),
        }
      : waits
        ? {
            outcome: 'signaled',
            httpStatus: 202,
            reason: claimed
              ? `claimed ${claimed} waiting runs; signaled after the answer`
              : `signaled ${runs} waiting run${runs === 1 ? '' : 's'}`,
          }
        : { outcome: 'ignored', httpStatus: 202, reason: 'no route matched' };
  return { kind: 'accepted', answer, completion };
}
