/**
 * Custom conditions (`spec.conditions`): static tokens, HMACs over a template, JWTs, fixed
 * headers and timestamps, checked after the profile's own verification; all must hold.
 */
import type { SecretKeyRef } from '../resources/references';
import type { Condition } from '../resources/conditions-spec';

export * from '../resources/conditions-spec';
export { rateLimitWindows, describeWindow } from './rate-limit';
export {
  evaluateConditions,
  fillBasestring,
  readLookup,
  type ConditionContext,
  type ConditionFailureCode,
  type ConditionsResult,
} from './evaluate';

/** The secret references of one condition as a list (empty for conditions without a secret). */
export function conditionSecretRefs(condition: Condition): SecretKeyRef[] {
  if (!('secretRef' in condition)) return [];
  return Array.isArray(condition.secretRef) ? condition.secretRef : [condition.secretRef];
}
