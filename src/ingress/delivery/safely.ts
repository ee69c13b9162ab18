/** Profiles, filters and normalisers are built never to throw; a bug in one must still be a 4xx, not a 500. */
export function safely<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch {
    return undefined;
  }
}
