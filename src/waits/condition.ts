/**
 * The `if` of a wait: a CEL expression (see resources/cel.ts) for what equality cannot say, over
 * `payload`, `headers`, `source`, `eventId` and the workflow's own `vars`. Checked when the wait
 * is registered; evaluated by the ingress only on candidate waits the equality index already found.
 */
import { booleanExpressions, InvalidExpressionError } from '../resources/cel';
import { InvalidWaitError } from './match';

export interface ConditionSubject {
  payload: unknown;
  headers: Record<string, string>;
  vars: Record<string, unknown>;
  source: string;
  eventId: string;
}

const conditions = booleanExpressions<ConditionSubject>(
  { payload: 'dyn', headers: 'map', vars: 'map', source: 'string', eventId: 'string' },
  'if expression',
);

/** Parses and type-checks `expression`; throws InvalidWaitError quoting the reason. */
export function compileCondition(expression: string): (context: ConditionSubject) => unknown {
  try {
    return conditions.compile(expression);
  } catch (err) {
    throw err instanceof InvalidExpressionError ? new InvalidWaitError(err.message) : err;
  }
}

/** True only when the expression evaluates to true; an evaluation error (a missing key…) is false. */
export function conditionHolds(expression: string, subject: ConditionSubject): boolean {
  return conditions.holds(expression, subject);
}
