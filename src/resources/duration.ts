/**
 * Durations in resources are written the way operators write them: `300s`, `5m`, `24h`, `7d`,
 * `1h30m`, or a bare number of seconds.
 */
import { z } from 'zod';

const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 };
const DURATION_PATTERN = /^(\d+(?:\.\d+)?(ms|s|m|h|d))+$/;
const PART_PATTERN = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g;

/** Parses a duration into seconds, or returns undefined when it is not one. */
export function parseDurationSeconds(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text);
  if (!DURATION_PATTERN.test(text)) return undefined;
  let seconds = 0;
  for (const [, amount, unit] of text.matchAll(PART_PATTERN)) seconds += Number(amount) * (UNIT_SECONDS[unit!] ?? 0);
  return seconds;
}

/** Formats seconds back to the shortest readable form (`86400` → `24h`). */
export function formatDurationSeconds(seconds: number): string {
  if (seconds % 86400 === 0 && seconds >= 86400 * 2) return `${seconds / 86400}d`;
  if (seconds % 3600 === 0 && seconds >= 3600) return `${seconds / 3600}h`;
  if (seconds % 60 === 0 && seconds >= 60) return `${seconds / 60}m`;
  return `${seconds}s`;
}

/** A duration field of a resource: accepts the forms above, yields seconds. */
export const durationSpec = z
  .union([z.string(), z.number()])
  .refine(
    (v) => parseDurationSeconds(v) !== undefined,
    'must be a duration like "300s", "5m", "24h", "7d" or a number of seconds',
  )
  .transform((v) => parseDurationSeconds(v)!);
