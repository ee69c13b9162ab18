/**
 * Fixed-window hit counters for the `rate-limit` condition (`rate_limit_windows`). Windows are
 * aligned on the database's clock, so every ingress replica counts into the same rows whatever
 * its own clock says.
 */
import type { Db, RateLimitsRepository, RateLimitVerdict, RateLimitWindow } from './types';

interface HitRow {
  period_seconds: number;
  window_start: Date;
  hits: number;
  /** Seconds until the window ends, by the database's clock. */
  remaining: string;
}

export function createRateLimitsRepository(db: Db): RateLimitsRepository {
  return {
    async hit(webhookId: string, windows: readonly RateLimitWindow[]): Promise<RateLimitVerdict> {
      if (windows.length === 0) return { allowed: true };
      const periods = windows.map((w) => w.periodSeconds);
      // One statement counts the hit in every window; a hit that exceeds any quota is taken back
      // below, so a refused delivery spends nothing. Between the two statements a concurrent
      // delivery may see the extra hit and be refused too: it errs on the side of the limit.
      const counted = await db.query<HitRow>(
        `INSERT INTO rate_limit_windows AS w (webhook_id, period_seconds, window_start, window_end, hits)
         SELECT $1, p, start, start + p * interval '1 second', 1
         FROM unnest($2::int[]) AS p, LATERAL (SELECT to_timestamp(floor(extract(epoch FROM now()) / p) * p) AS start) AS aligned
         ON CONFLICT (webhook_id, period_seconds, window_start) DO UPDATE SET hits = w.hits + 1
         RETURNING period_seconds, window_start, hits, extract(epoch FROM w.window_end - now())::text AS remaining`,
        [webhookId, periods],
      );
      const exceeded = windows
        .map((window) => {
          const row = counted.rows.find((r) => r.period_seconds === window.periodSeconds);
          return row && row.hits > window.quota
            ? { window, retryAfterSeconds: Math.max(1, Math.ceil(Number(row.remaining))) }
            : undefined;
        })
        .filter((e) => e !== undefined);
      if (exceeded.length === 0) return { allowed: true };
      await db.query(
        `UPDATE rate_limit_windows AS w SET hits = w.hits - 1
         FROM unnest($2::int[], $3::timestamptz[]) AS counted (period_seconds, window_start)
         WHERE w.webhook_id = $1 AND w.period_seconds = counted.period_seconds AND w.window_start = counted.window_start AND w.hits > 0`,
        [webhookId, counted.rows.map((r) => r.period_seconds), counted.rows.map((r) => r.window_start)],
      );
      // The caller must wait for the last exceeded window to roll over.
      const longest = exceeded.reduce((a, b) => (b.retryAfterSeconds > a.retryAfterSeconds ? b : a));
      return { allowed: false, window: longest.window, retryAfterSeconds: longest.retryAfterSeconds };
    },

    async purgeExpired(): Promise<number> {
      const result = await db.query('DELETE FROM rate_limit_windows WHERE window_end <= now()');
      return result.rowCount ?? 0;
    },
  };
}
