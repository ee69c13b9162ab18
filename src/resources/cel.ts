/**
 * CEL (Common Expression Language, via @marcbachmann/cel-js) for the boolean expressions of
 * resources and waits: a wait's `if` and a route's `when`. One language with one set of limits;
 * each use names its variables. Non-Turing-complete and bounded: safe to run on every delivery.
 */
import { Environment } from '@marcbachmann/cel-js';

/** Longest expression. */
export const MAX_CONDITION_LENGTH = 2048;

/** The CEL type of each variable an expression may read. */
export type CelVariables = Record<string, 'dyn' | 'map' | 'string'>;

/** A refused expression: the message quotes it and says why. */
export class InvalidExpressionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidExpressionError';
  }
}

export interface BooleanExpressions<S> {
  /** Parses and type-checks `expression`; throws InvalidExpressionError quoting the reason. */
  compile(expression: string): (subject: S) => unknown;
  /** True only when the expression evaluates to true; an evaluation error (a missing key…) is false. */
  holds(expression: string, subject: S): boolean;
}

/** The boolean expression language over `variables`; `label` names the field in messages (`if expression`). */
export function booleanExpressions<S extends object>(variables: CelVariables, label: string): BooleanExpressions<S> {
  let environment = new Environment({
    limits: { maxAstNodes: 500, maxDepth: 32, maxListElements: 200, maxMapEntries: 200, maxCallArguments: 16 },
  });
  for (const [name, type] of Object.entries(variables)) environment = environment.registerVariable(name, type);
  const names = Object.keys(variables).join(', ');
  const compiled = new Map<string, (subject: S) => unknown>();

  function compile(expression: string): (subject: S) => unknown {
    const hit = compiled.get(expression);
    if (hit) return hit;
    if (expression.length > MAX_CONDITION_LENGTH)
      throw new InvalidExpressionError(`${label} is over ${MAX_CONDITION_LENGTH} characters`);
    let program: ReturnType<typeof environment.parse>;
    try {
      program = environment.parse(expression);
    } catch (err) {
      throw new InvalidExpressionError(`${label} ${JSON.stringify(expression)} does not parse: ${firstLine(err)}`);
    }
    const check = program.check();
    if (!check.valid)
      throw new InvalidExpressionError(
        `${label} ${JSON.stringify(expression)} is invalid: ${firstLine(check.error)} (variables: ${names})`,
      );
    if (check.type !== 'bool' && check.type !== 'dyn')
      throw new InvalidExpressionError(`${label} ${JSON.stringify(expression)} yields ${check.type}, not bool`);
    const evaluate = (subject: S): unknown => program(subject);
    if (compiled.size > 5000) compiled.clear();
    compiled.set(expression, evaluate);
    return evaluate;
  }

  return {
    compile,
    holds(expression, subject) {
      try {
        return compile(expression)(subject) === true;
      } catch {
        return false;
      }
    },
  };
}

function firstLine(err: unknown): string {
  return String((err as Error)?.message ?? err)
    .split('\n')[0]!
    .trim();
}
