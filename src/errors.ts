/**
 * The one error type tempohook throws on purpose: a stable machine `code`, an HTTP status for
 * the API edge, and a message that tells the user what to do next.
 */
export class TempohookError extends Error {
  override readonly name = 'TempohookError';
  constructor(
    readonly code: string,
    message: string,
    readonly status = 500,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

export function isTempohookError(err: unknown): err is TempohookError {
  return err instanceof TempohookError;
}
