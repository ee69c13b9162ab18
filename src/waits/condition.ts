/**
 * The `if` of a wait: a CEL expression (Common Expression Language, via @marcbachmann/cel-js) for
 * what equality cannot say, over `payload`, `headers`, `source`, `eventId` and the workflow's own
 * `vars`. Checked when the wait is registered; evaluated by the ingress only on candidate waits
 * the equality index already found. Non-Turing-complete and bounded: safe to run on every delivery.
 */
import { Environment } from '@marcbachmann/cel-js';
import { InvalidWaitError } from './match';

/** Longest `if` expression. */
export const MAX_CONDITION_LENGTH = 2048;

const environment = new Environment({
  limits: { maxAstNodes: 500, maxDepth: 32, maxListElements: 200, maxMapEntries: 200, maxCallArguments: 16 },
})
  .registerVariable('payload', 'dyn')
  .registerVariable('headers', 'map')
  .registerVariable('vars', 'map')
  .registerVariable('source', 'string')
  .registerVariable('eventId', 'string');

export interface ConditionSubject {
  payload: unknown;
  headers: Record<string, string>;
  vars: Record<string, unknown>;
  source: string;
  eventId: string;
}

type Evaluate = (context: ConditionSubject) => unknown;

const compiled = new Map<string, Evaluate>();

/** Parses and type-checks `expression`; throws InvalidWaitError quoting the reason. */
export function compileCondition(expression: string): Evaluate {
  const hit = compiled.get(expression);
  if (hit) return hit;
  if (expression.length > MAX_CONDITION_LENGTH)
    throw new InvalidWaitError(`if expression is over ${MAX_CONDITION_LENGTH} characters`);
  let program: ReturnType<typeof environment.parse>;
  try {
    program = environment.parse(expression);
  } catch (err) {
    throw new InvalidWaitError(`if expression ${JSON.stringify(expression)} does not parse: ${firstLine(err)}`);
  }
  const check = program.check();
  if (!check.valid)
    throw new InvalidWaitError(
      `if expression ${JSON.stringify(expression)} is invalid: ${firstLine(check.error)} (variables: payload, headers, vars, source, eventId)`,
    );
  if (check.type !== 'bool' && check.type !== 'dyn')
    throw new InvalidWaitError(`if expression ${JSON.stringify(expression)} yields ${check.type}, not bool`);
  const evaluate: Evaluate = (context) => program(context);
  if (compiled.size > 5000) compiled.clear();
  compiled.set(expression, evaluate);
  return evaluate;
}

/** True only when the expression evaluates to true; an evaluation error (a missing key…) is false. */
export function conditionHolds(expression: string, subject: ConditionSubject): boolean {
  try {
    return compileCondition(expression)(subject) === true;
  } catch {
    return false;
  }
}

function firstLine(err: unknown): string {
  return String((err as Error)?.message ?? err)
    .split('\n')[0]!
    .trim();
}
