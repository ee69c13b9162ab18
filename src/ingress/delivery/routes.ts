/**
 * Routes (`spec.routes`): which of a webhook's routes a delivery takes, and what one route's
 * action does in Temporal. A `start` route starts a run whose id is deterministic per (webhook,
 * event, route); a `signalWithStart` route delivers the event to a long-lived entity workflow,
 * starting it when it does not run, with a request id fixed per (webhook, event, route). The
 * outcome of each is a `RouteActionRecord`: what the 202, the delivery log and a retry read.
 */
import type { Client } from '@temporalio/client';
import type { Logger } from '../../logger';
import { applyFilters } from '../../filters';
import { routeConditions, type RouteSubject } from '../../resources/route-schema';
import type { WebhookRouteMode, WebhookRouteSpec, WebhookStartSpec } from '../../resources/schemas';
import type { TemplateContext } from '../../resources/template';
import type { RouteActionRecord } from '../../store/types';
import { visibleHeaders } from '../../waits/match';
import { signalWithStartEntity } from '../entity-signaler';
import type { TemporalCircuit } from '../temporal-circuit';
import { startWebhookWorkflow } from '../workflow-starter';
import { buildEntitySignalRequest, buildStartRequest } from './start-request';
import type { Verdict } from './verdict';

type SignalWithStartSpec = NonNullable<WebhookRouteSpec['signalWithStart']>;

/** A route's condition: CEL `when`, a `match` map, both (both must hold) or neither (always). */
export interface RouteCondition {
  when?: string | undefined;
  match?: Record<string, unknown> | undefined;
}

/** A route action of a webhook, before the delivery is matched against its condition. */
export type RouteAction =
  | {
      kind: 'start';
      route: string;
      /** False for `spec.start`, the catch-all route of a webhook without `spec.routes`. */
      routed: boolean;
      start: WebhookStartSpec;
      condition?: RouteCondition;
    }
  | {
      kind: 'signalWithStart';
      route: string;
      routed: true;
      signalWithStart: SignalWithStartSpec;
      condition?: RouteCondition;
    };

/** A matching route with its workflow id rendered. */
export type PreparedRouteAction = RouteAction & { workflowId: string };

/** The route actions of `spec.routes`, in order. */
export function routeActions(routes: readonly WebhookRouteSpec[]): RouteAction[] {
  return routes.map((r) => {
    const condition = r.when !== undefined || r.match !== undefined ? { when: r.when, match: r.match } : undefined;
    return r.start
      ? { kind: 'start', route: r.name, routed: true, start: r.start, ...(condition ? { condition } : {}) }
      : {
          kind: 'signalWithStart',
          route: r.name,
          routed: true,
          signalWithStart: r.signalWithStart!,
          ...(condition ? { condition } : {}),
        };
  });
}

/** What a route's `when` and `match` read of a delivery (credential headers left out). */
export function routeSubject(context: TemplateContext): RouteSubject {
  return {
    payload: context.payload,
    headers: visibleHeaders(context.headers),
    source: context.source,
    eventId: context.eventId,
    normalized: { ...(context.normalized ?? {}) },
  };
}

export function routeMatches(condition: RouteCondition | undefined, subject: RouteSubject): boolean {
  if (!condition) return true;
  if (condition.match) {
    const filters = Object.entries(condition.match).map(([path, equals]) => ({ path, equals }));
    if (!applyFilters(filters, subject).pass) return false;
  }
  return condition.when === undefined || routeConditions.holds(condition.when, subject);
}

/** The routes that act, in order: the first matching one (`first`), or every matching one (`all`). */
export function selectRoutes<A extends RouteAction>(
  actions: readonly A[],
  mode: WebhookRouteMode | undefined,
  subject: RouteSubject | (() => RouteSubject),
): A[] {
  const selected: A[] = [];
  let read: RouteSubject | undefined = typeof subject === 'function' ? undefined : subject;
  for (const action of actions) {
    // The subject is built only for a route with a condition (spec.start has none).
    if (action.condition && !routeMatches(action.condition, (read ??= (subject as () => RouteSubject)()))) continue;
    selected.push(action);
    if (mode !== 'all') break;
  }
  return selected;
}

export interface RouteRunDeps {
  client: Client;
  logger: Logger;
  temporalTimeoutMs: number;
  /** Refuses calls to Temporal at once while it is down (one probe at a time). */
  circuit?: TemporalCircuit;
}

/** `call` through the circuit, when there is one. */
function throughCircuit<T extends { kind: string }>(deps: RouteRunDeps, call: () => Promise<T>) {
  return deps.circuit ? deps.circuit.run(call, (result) => result.kind === 'unavailable') : call();
}

/**
 * What one route did: its record, and for a failure the verdict the delivery gets when no route
 * went through (a start refused for good) or when it must be retried (Temporal unavailable).
 */
export interface RouteResult {
  record: RouteActionRecord;
  verdict?: Verdict;
}

/** A start that can never succeed as configured; the detail goes to history and status.lastError only. */
export function taskCreationFailed(detail: string): Verdict {
  return {
    kind: 'start_refused',
    status: 400,
    code: 'webhook_task_creation_failed',
    message: 'webhook task creation failed',
    detail,
  };
}

const failed = (action: RouteAction, workflowId: string | null, verdict: Verdict, reason: string): RouteResult => ({
  record: { route: action.route, action: action.kind, status: 'failed', workflowId, runId: null, reason },
  verdict,
});

/** A route whose workflow id template rendered empty for this event. */
export function unresolvedRoute(action: RouteAction, template: string, unresolved: string[], eventId: string) {
  const detail = `workflow id template ${template} left {${unresolved.join('}, {')}} empty for event ${eventId}`;
  return failed(action, null, taskCreationFailed(detail), detail);
}

/** Runs one matching route's action. */
export async function runRoute(
  deps: RouteRunDeps,
  action: PreparedRouteAction,
  context: TemplateContext,
): Promise<RouteResult> {
  const base = { route: action.route, action: action.kind, workflowId: action.workflowId };
  const unavailable = (detail: string, during: string): RouteResult => ({
    record: { ...base, status: 'unavailable', runId: null, reason: `Temporal unavailable: ${detail}` },
    verdict: { kind: 'unavailable', dependency: 'temporal', during, detail },
  });
  const rejected = (what: string, detail: string): RouteResult => {
    deps.logger.warn(`Temporal rejected the ${what}`, {
      webhook: context.webhook,
      route: action.route,
      deliveryId: context.deliveryId,
      error: detail,
    });
    const reason = `${what} rejected by Temporal: ${detail}`;
    return failed(action, action.workflowId, taskCreationFailed(reason), reason);
  };

  if (action.kind === 'signalWithStart') {
    const request = buildEntitySignalRequest(action.signalWithStart, action.route, action.workflowId, context);
    const outcome = await throughCircuit(deps, () =>
      signalWithStartEntity(deps.client, request, deps.temporalTimeoutMs),
    );
    switch (outcome.kind) {
      case 'circuit_open':
        return unavailable(outcome.detail, `signaling entity ${action.workflowId}`);
      case 'signaled':
        return { record: { ...base, status: 'signaled', runId: outcome.runId } };
      case 'unavailable':
        return unavailable(outcome.detail, `signaling entity ${action.workflowId}`);
      case 'rejected':
        return rejected('signal-with-start', outcome.detail);
    }
  }

  const built = buildStartRequest(action.start, action.workflowId, context, action.routed ? action.route : undefined);
  if (!built.ok)
    return failed(
      action,
      action.workflowId,
      {
        kind: 'start_refused',
        status: 413,
        code: 'payload_too_large_for_temporal',
        message: built.detail,
        detail: built.detail,
      },
      built.detail,
    );
  const outcome = await throughCircuit(deps, () =>
    startWebhookWorkflow(deps.client, built.request, deps.temporalTimeoutMs),
  );
  switch (outcome.kind) {
    case 'circuit_open':
      return unavailable(outcome.detail, 'starting the run');
    case 'started':
      return { record: { ...base, status: 'started', runId: outcome.runId } };
    case 'already_started':
      return { record: { ...base, status: 'already_started', runId: outcome.runId } };
    case 'unavailable':
      return unavailable(`${outcome.detail} (the start waited ${outcome.waitedMs} ms)`, 'starting the run');
    case 'rejected':
      return rejected('start', outcome.detail);
  }
}
