/**
 * `spec.filters`: conditions on a verified delivery, all of which must hold for it to start a
 * run. Validated when the webhook is applied, so a bad path or an unsafe regex never reaches
 * the delivery path.
 */
import { JSONPath } from 'jsonpath-plus';
import { z } from 'zod';
import { REGEX_SAFETY_RULE, unsafeRegexReason } from './regex-safety';

export const MAX_FILTERS = 32;

/** Why a filter path is refused, or undefined when it is accepted. */
export function invalidPathReason(path: string): string | undefined {
  if (path.startsWith('headers.') || path.startsWith('normalized.')) {
    return /^[a-z]+\.[A-Za-z0-9_-]+$/.test(path)
      ? undefined
      : 'headers.<name> and normalized.<field> take a single name';
  }
  if (!path.startsWith('$'))
    return 'must be a JSONPath starting with "$" (e.g. $.repository.full_name), headers.<name> or normalized.<field>';
  if (path.includes('(')) return 'script and filter expressions ((…), ?(…)) are not supported';
  try {
    JSONPath.toPathArray(path);
  } catch (err) {
    return `not a valid JSONPath (${(err as Error).message})`;
  }
  return undefined;
}

const OPERATORS = ['equals', 'contains', 'matches'] as const;

export const filterSpec = z
  .object({
    /** `$.json.path` into the payload, `headers.<name>` or `normalized.<field>`. */
    path: z
      .string()
      .min(1)
      .max(512)
      .superRefine((path, ctx) => {
        const reason = invalidPathReason(path);
        if (reason) ctx.addIssue({ code: 'custom', message: reason });
      }),
    /** Deep equality with any JSON value. */
    equals: z.unknown().optional(),
    /** A substring of a string value, or an element of an array value. */
    contains: z.unknown().optional(),
    /** A regular expression a string value must match (see REGEX_SAFETY_RULE). */
    matches: z
      .string()
      .min(1)
      .superRefine((pattern, ctx) => {
        const reason = unsafeRegexReason(pattern);
        if (reason) ctx.addIssue({ code: 'custom', message: `${reason}: ${REGEX_SAFETY_RULE}` });
      })
      .optional(),
  })
  .strict()
  .refine((f) => OPERATORS.filter((op) => op in f).length === 1, {
    message: 'a filter needs exactly one of equals, contains or matches',
  });

export const filtersSpec = z.array(filterSpec).max(MAX_FILTERS);

export type FilterSpec = z.infer<typeof filterSpec>;
