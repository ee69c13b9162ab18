/**
 * Tells a store failure caused by the request's data from one caused by the database being
 * unreachable. PostgreSQL (and PGlite) refuse some values — a NUL in text, `\u0000` in jsonb, a
 * nesting too deep for jsonb — and that refusal is the sender's 4xx, never a 503 a provider would
 * retry for ever. Only connection-level failures and timeouts mean "retry later".
 */

/** What the edge answers for a store error. */
export type StoreErrorVerdict =
  | {
      kind: 'client';
      status: 400 | 409 | 413;
      code: 'invalid_value' | 'conflict' | 'value_too_large';
      /** SQLSTATE of the refusal, e.g. 22021. */
      sqlState: string;
      /** Names the field and what to change; carries no value the request sent. */
      message: string;
    }
  | { kind: 'unavailable'; status: 503; code: 'store_unavailable'; message: string }
  | { kind: 'internal'; status: 500; code: 'internal_error'; message: string };

/** Node socket errors and pg-pool's own messages for a database that cannot be reached or answer in time. */
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'database_unreachable', // createStore's own TempohookError
]);
const CONNECTION_MESSAGES =
  /timeout exceeded when trying to connect|connection terminated|terminated unexpectedly|connection timeout|cannot use a pool after calling end|client was closed|client has encountered a connection error|query read timeout|not queryable/i;

/** SQLSTATEs outside classes 08/53/57 that still mean "retry later": the database, not the value, said no. */
const RETRYABLE_STATES = new Set([
  '40001', // serialization_failure
  '40P01', // deadlock_detected
  '55P03', // lock_not_available
  '57014', // query_canceled (statement_timeout)
]);

const READABLE_STATE: Record<string, string> = {
  '22001': 'is too long for its column',
  '22003': 'is a number out of range',
  '22021': 'contains a byte sequence the database cannot store (a NUL character, U+0000)',
  '22P05': 'contains an escape the database cannot store (\\u0000, a NUL character)',
  '22P02': 'is not in the expected format',
  '23502': 'is required',
  '23505': 'already exists',
  '23503': 'refers to something that does not exist',
  '54001': 'is nested too deeply for the database',
  '54000': 'exceeds a database limit',
};

function sqlStateOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/**
 * Classifies `err` from a store call. `field` names what the request was storing ("Secret
 * spec.stringData", "event id") so a refused value says which one to fix.
 */
export function classifyStoreError(err: unknown, field = 'a value in the request'): StoreErrorVerdict {
  const state = sqlStateOf(err);
  const column = (err as { column?: unknown } | null)?.column;
  const subject = typeof column === 'string' && column ? `${field} (${column})` : field;
  if (state) {
    const stateClass = state.slice(0, 2);
    const what = READABLE_STATE[state];
    if (stateClass === '22')
      return {
        kind: 'client',
        status: 400,
        code: 'invalid_value',
        sqlState: state,
        message: `${subject} ${what ?? 'was refused by the database as invalid data'} (SQLSTATE ${state}); change it and send again.`,
      };
    if (stateClass === '23')
      return {
        kind: 'client',
        status: state === '23505' || state === '23503' ? 409 : 400,
        code: state === '23505' || state === '23503' ? 'conflict' : 'invalid_value',
        sqlState: state,
        message: `${subject} ${what ?? 'violates a constraint'} (SQLSTATE ${state}).`,
      };
    if (stateClass === '54')
      return {
        kind: 'client',
        status: 413,
        code: 'value_too_large',
        sqlState: state,
        message: `${subject} ${what ?? 'exceeds a database limit'} (SQLSTATE ${state}); send a smaller or flatter value.`,
      };
    // 08 connection, 53 resources, 57 operator intervention, XX the database's own failure.
    if (['08', '53', '57', 'XX'].includes(stateClass) || RETRYABLE_STATES.has(state)) return unavailable();
    return internal();
  }
  const e = err as { code?: unknown; errors?: Array<{ code?: unknown }> } | null;
  const codes = [e?.code, ...(Array.isArray(e?.errors) ? e.errors.map((inner) => inner?.code) : [])];
  if (codes.some((code) => typeof code === 'string' && CONNECTION_CODES.has(code))) return unavailable();
  const message = (err as { message?: unknown } | null)?.message;
  if (typeof message === 'string' && CONNECTION_MESSAGES.test(message)) return unavailable();
  return internal();
}

function unavailable(): StoreErrorVerdict {
  return {
    kind: 'unavailable',
    status: 503,
    code: 'store_unavailable',
    message: 'The store is unavailable; retry later.',
  };
}

function internal(): StoreErrorVerdict {
  return {
    kind: 'internal',
    status: 500,
    code: 'internal_error',
    message: 'Something went wrong; the ingress log has the details.',
  };
}
