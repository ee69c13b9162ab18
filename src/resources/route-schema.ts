/**
 * `spec.routes`: one endpoint, many workflows. Each verified delivery is matched against the
 * routes in order; the first matching route acts (`spec.mode: first`, the default) or every
 * matching route does (`all`, fan-out). A route either starts a run (`start`, the same fields as
 * `spec.start`) or feeds a long-lived entity workflow (`signalWithStart`), starting it when it
 * does not run. The route name is part of the route's idempotency keys, so it must stay stable.
 */
import { z } from 'zod';
import { invalidPathReason } from '../filters/filter-spec';
import { booleanExpressions, InvalidExpressionError, MAX_CONDITION_LENGTH } from './cel';
import { resourceName } from './references';

export const MAX_ROUTES = 32;
/** The signal `onWebhook` handles (and `waitForWebhook` waits on). */
export const DEFAULT_ROUTE_SIGNAL = 'tempohook.webhook';
/** Name of the route `spec.start` stands for when a webhook has no `spec.routes`. */
export const CATCH_ALL_ROUTE = 'start';

/** What a route's `when` reads. */
export interface RouteSubject {
  payload: unknown;
  headers: Record<string, string>;
  source: string;
  eventId: string;
  /** The normalized view of a known payload family; `{}` otherwise. */
  normalized: Record<string, unknown>;
}

export const routeConditions = booleanExpressions<RouteSubject>(
  { payload: 'dyn', headers: 'map', source: 'string', eventId: 'string', normalized: 'map' },
  'when expression',
);

const when = z
  .string()
  .min(1)
  .max(MAX_CONDITION_LENGTH)
  .superRefine((expression, ctx) => {
    try {
      routeConditions.compile(expression);
    } catch (err) {
      if (!(err instanceof InvalidExpressionError)) throw err;
      ctx.addIssue({ code: 'custom', message: err.message });
    }
  });

/** Path → expected value (deep equality); paths as in spec.filters (`$.action`, `headers.<name>`, `normalized.<field>`). */
const match = z.record(z.string(), z.unknown()).superRefine((entries, ctx) => {
  for (const path of Object.keys(entries)) {
    const reason = invalidPathReason(path);
    if (reason) ctx.addIssue({ code: 'custom', message: `match path "${path}": ${reason}`, path: [path] });
  }
});

/** The fields of `spec.start`, as the webhook schema defines them (passed in to keep one definition). */
type StartSpecSchema = z.ZodObject<{
  workflowType: z.ZodString;
  taskQueue: z.ZodString;
  workflowId: z.ZodOptional<z.ZodString>;
  input: z.ZodOptional<z.ZodType<Record<string, unknown>>>;
  memo: z.ZodOptional<z.ZodType<Record<string, unknown>>>;
  workflowExecutionTimeout: z.ZodOptional<z.ZodType>;
}>;

/** `spec.routes` and `spec.mode`, built on the webhook's own `spec.start` schema. */
export function routesSpecs<S extends StartSpecSchema>(startSpec: S) {
  const signalWithStart = startSpec
    .extend({
      /** Required: the entity's id, e.g. `stripe-customer/{payload.data.object.customer}`. */
      workflowId: startSpec.shape.workflowId.unwrap(),
      /** Default `tempohook.webhook`, which `onWebhook` handles. */
      signal: z.string().min(1).max(255).optional(),
    })
    .strict();
  const route = z
    .object({
      name: resourceName,
      when: when.optional(),
      match: match.optional(),
      start: startSpec.optional(),
      signalWithStart: signalWithStart.optional(),
    })
    .strict()
    .refine((r) => (r.start === undefined) !== (r.signalWithStart === undefined), {
      message: 'a route takes exactly one action: start or signalWithStart',
    });
  const routes = z
    .array(route)
    .min(1)
    .max(MAX_ROUTES)
    .superRefine((list, ctx) => {
      const seen = new Set<string>();
      list.forEach((r, i) => {
        if (seen.has(r.name))
          ctx.addIssue({ code: 'custom', message: `route name "${r.name}" is used twice`, path: [i, 'name'] });
        seen.add(r.name);
      });
    });
  return { routes, mode: z.enum(['first', 'all']) };
}
