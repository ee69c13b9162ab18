/**
 * The `rate-limit` condition needs shared state, so it is not part of the pure
 * `evaluateConditions`: the ingress checks it against the store after every other condition.
 */
import { formatDurationSeconds } from '../resources/duration';
import type { RateLimitWindow } from '../store/types';
import { isRateLimitCondition, type Condition } from '../resources/conditions-spec';

/** Every window of every `rate-limit` condition of a webhook (the tightest quota wins per period). */
export function rateLimitWindows(conditions: readonly Condition[] | undefined): RateLimitWindow[] {
  const byPeriod = new Map<number, number>();
  for (const condition of conditions ?? []) {
    if (!isRateLimitCondition(condition)) continue;
    for (const { period, quota } of condition.limits)
      byPeriod.set(period, Math.min(quota, byPeriod.get(period) ?? Infinity));
  }
  return [...byPeriod].map(([periodSeconds, quota]) => ({ periodSeconds, quota }));
}

/** `100 per 1m`, for reasons and logs. */
export function describeWindow(window: RateLimitWindow): string {
  return `${window.quota} per ${formatDurationSeconds(window.periodSeconds)}`;
}
