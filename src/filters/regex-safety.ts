/**
 * The rule that keeps a filter's `matches` regex from backtracking catastrophically: short
 * patterns, no backreferences, no repeated group that itself contains a quantifier, and a cap
 * on the length of the text it runs against.
 */

/** Longest accepted pattern, in characters. */
export const MAX_PATTERN_LENGTH = 256;
/** Longest value a pattern is run against; a longer value fails the filter unmatched. */
export const MAX_MATCH_INPUT_LENGTH = 64 * 1024;

export const REGEX_SAFETY_RULE = `patterns must be at most ${MAX_PATTERN_LENGTH} characters, use no backreferences (\\1, \\k<name>), no group repeated without bound that contains a quantifier or an alternation (like (a+)+, (\\d{1,3})* or (a|ab)+), and no repeated group containing an unbounded quantifier (like (a*){2}), so that matching cannot backtrack catastrophically`;

interface GroupFrame {
  /** A quantifier or an alternation: either lets a repeated group match the same text in many ways. */
  hasQuantifier: boolean;
  hasUnbounded: boolean;
}

/** Reads the quantifier at `i`, if any: its length, whether it repeats more than once, and whether without bound. */
function quantifierAt(
  pattern: string,
  i: number,
): { length: number; repeats: boolean; unbounded: boolean } | undefined {
  const c = pattern[i];
  let length: number;
  let repeats: boolean;
  let unbounded: boolean;
  if (c === '*' || c === '+') {
    length = 1;
    repeats = unbounded = true;
  } else if (c === '?') {
    length = 1;
    repeats = unbounded = false;
  } else if (c === '{') {
    const m = /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(i));
    if (!m) return undefined;
    length = m[0].length;
    unbounded = m[3] === '';
    repeats = m[2] === undefined ? Number(m[1]) > 1 : unbounded || Number(m[3]) > 1;
  } else {
    return undefined;
  }
  if (pattern[i + length] === '?') length += 1; // lazy modifier
  return { length, repeats, unbounded };
}

/** Why `pattern` is refused, or undefined when it is accepted and compiles. */
export function unsafeRegexReason(pattern: string): string | undefined {
  if (pattern.length > MAX_PATTERN_LENGTH) return `pattern is ${pattern.length} characters long`;
  try {
    new RegExp(pattern);
  } catch (err) {
    return `not a valid regular expression (${(err as Error).message})`;
  }
  const stack: GroupFrame[] = [{ hasQuantifier: false, hasUnbounded: false }];
  let i = 0;
  while (i < pattern.length) {
    const c = pattern[i]!;
    if (c === '\\') {
      const next = pattern[i + 1] ?? '';
      if (/[1-9]/.test(next) || next === 'k') return 'backreferences are not allowed';
      i += 2;
      continue;
    }
    if (c === '[') {
      i += 1;
      while (i < pattern.length && pattern[i] !== ']') i += pattern[i] === '\\' ? 2 : 1;
      i += 1;
      continue;
    }
    if (c === '(') {
      stack.push({ hasQuantifier: false, hasUnbounded: false });
      i += pattern[i + 1] === '?' ? 2 : 1; // (?: (?= (?<name> … : the ? is not a quantifier
      continue;
    }
    if (c === ')') {
      const group = stack.length > 1 ? stack.pop()! : { hasQuantifier: false, hasUnbounded: false };
      i += 1;
      const q = quantifierAt(pattern, i);
      if (q) {
        // (a+)+ and (a{1,3})+ backtrack exponentially; (\d{1,3}\.){3} is bounded and allowed.
        if ((q.unbounded && group.hasQuantifier) || (q.repeats && group.hasUnbounded))
          return `the group repeated at position ${i} contains a quantifier or alternation`;
        i += q.length;
      }
      const parent = stack[stack.length - 1]!;
      parent.hasQuantifier ||= Boolean(q) || group.hasQuantifier;
      parent.hasUnbounded ||= Boolean(q?.unbounded) || group.hasUnbounded;
      continue;
    }
    if (c === '|') {
      stack[stack.length - 1]!.hasQuantifier = true;
      i += 1;
      continue;
    }
    const q = quantifierAt(pattern, i);
    if (q) {
      stack[stack.length - 1]!.hasQuantifier = true;
      stack[stack.length - 1]!.hasUnbounded ||= q.unbounded;
      i += q.length;
      continue;
    }
    i += 1;
  }
  return undefined;
}
