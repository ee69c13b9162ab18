import type { VerifyFailure, VerifyFailureCode, VerifyResult } from './types';

/** The one successful result. */
export const verified: VerifyResult = Object.freeze({ ok: true });

/** A failed result; `reason` must be a fixed phrase, never request or secret material. */
export function failure(code: VerifyFailureCode, reason: string): VerifyFailure {
  return { ok: false, code, reason };
}
