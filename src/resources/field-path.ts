/** Where in a document a value sits, written the way a user finds it in their YAML. */

const pathSegment = (key: PropertyKey): string => {
  if (typeof key === 'number') return `[${key}]`;
  const text = String(key);
  return /^[A-Za-z_$][\w$-]*$/.test(text) ? `.${text}` : `[${JSON.stringify(text)}]`;
};

/** Renders a zod issue path like `.spec.start.taskQueue` or `.spec.secretRef[0].name`. */
export function fieldPath(path: readonly PropertyKey[]): string {
  return path.map(pathSegment).join('');
}
