/**
 * The query of `GET /v1/webhooks/{name}/deliveries`: filters on the delivery log, checked with
 * zod so a bad value is a 400 naming its parameter. `since`/`until` take an instant (RFC 3339)
 * or a duration back from now (`2h`, `7d`), as `tempohook get deliveries --since 2h` sends it.
 */
import { z } from 'zod';
import { parseDurationSeconds } from '../resources/duration';
import { DeliveryOutcome, type DeliveryFilter } from '../store/types';
import { BadRequest } from './http/route-kit';

const OUTCOMES = Object.values(DeliveryOutcome);

/** One value, or the last of a repeated parameter's values. */
const single = z.union([z.string(), z.array(z.string()).transform((values) => values[values.length - 1]!)]);

/** An instant, or a duration back from `now` (a query parameter's schema; also the audit log's since/until). */
export function instant(now: () => Date) {
  return single.transform((value, ctx) => {
    const seconds = /^\d/.test(value) && !value.includes('-') ? parseDurationSeconds(value) : undefined;
    if (seconds !== undefined) return new Date(now().getTime() - seconds * 1000);
    const parsed = z.iso.datetime({ offset: true }).safeParse(value);
    if (parsed.success) return new Date(parsed.data);
    ctx.addIssue({
      code: 'custom',
      message: `"${value}" is neither an instant like 2026-11-26T02:00:00Z nor a duration back from now like 2h or 7d`,
    });
    return z.NEVER;
  });
}

/** The query schema; `now` anchors relative `since`/`until`. */
export function deliverySearchQuery(now: () => Date) {
  return z
    .object({
      outcome: z
        .union([z.string(), z.array(z.string())])
        .transform((value) => (Array.isArray(value) ? value : [value]).flatMap((v) => v.split(',')).filter(Boolean))
        .pipe(z.array(z.enum(OUTCOMES, { message: `must be one or more of ${OUTCOMES.join(', ')}` })).min(1)),
      status: single
        .transform(Number)
        .pipe(z.number({ message: 'must be an HTTP status like 400' }).int().min(100).max(599)),
      eventId: single.pipe(z.string().min(1).max(255)),
      workflowId: single.pipe(z.string().min(1).max(1000)),
      since: instant(now),
      until: instant(now),
      // Read by pageOf and namespaceOf.
      limit: z.unknown(),
      cursor: z.unknown(),
      namespace: z.unknown(),
    })
    .partial()
    .strict();
}

/** The filter a request's query asks for; a BadRequest (400 invalid_query) naming the first bad parameter. */
export function parseDeliverySearch(query: unknown, now: () => Date): DeliveryFilter {
  const parsed = deliverySearchQuery(now).safeParse(query);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const param = issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : String(issue.path[0] ?? 'query');
    const message =
      issue.code === 'unrecognized_keys'
        ? `unknown parameter; filter with outcome, status, eventId, workflowId, since, until (and page with limit, cursor)`
        : issue.message;
    throw new BadRequest('invalid_query', `?${param}: ${message}.`, { parameter: param });
  }
  const { outcome, status, eventId, workflowId, since, until } = parsed.data;
  return {
    ...(outcome ? { outcomes: outcome } : {}),
    ...(status !== undefined ? { httpStatus: status } : {}),
    ...(eventId !== undefined ? { eventId } : {}),
    ...(workflowId !== undefined ? { workflowId } : {}),
    ...(since ? { since } : {}),
    ...(until ? { until } : {}),
  };
}
