/**
 * The registry of resource kinds. The management API (`PUT|GET|DELETE /v1/<plural>[/NAME]`) and
 * the CLI (`apply`, `get`, `delete`, their usage text and table output) iterate this list; nothing
 * else names the kinds one by one.
 *
 * Adding a kind (docs/resource-kinds.md): its migration, its repository
 * (`create<Plural>Repository(db)`), and its unit here, `defineKind({...})` with
 * `repository: (store) => create<Plural>Repository(store.db)`, appended to `RESOURCE_KINDS`.
 */
import type { AnyResourceKind } from './define-kind';
import { secretKind } from './secret';
import { subscriptionKind } from './subscription';
import { webhookKind } from './webhook';

export { notFoundMessage, shortTime, type AnyResourceKind, type Cell, type PrintContext } from './define-kind';

/** Every kind, in the order `get --help` lists them. */
export const RESOURCE_KINDS: readonly AnyResourceKind[] = [webhookKind, secretKind, subscriptionKind];

/** The kind a manifest's `kind:` names (`Webhook`), or undefined. */
export function kindNamed(kind: unknown): AnyResourceKind | undefined {
  return RESOURCE_KINDS.find((k) => k.kind === kind);
}

/** The kind a command-line word names (`webhook`, `webhooks`, `wh`), or undefined. */
export function kindForWord(word: string): AnyResourceKind | undefined {
  return RESOURCE_KINDS.find((k) => [k.words.singular, k.words.plural, ...k.words.aliases].includes(word));
}

/** `Secret, Webhook or Subscription`, for messages that list what is possible. */
export function listOfWords(words: readonly string[], conjunction: 'or' | 'and' = 'or'): string {
  return words.length <= 1 ? (words[0] ?? '') : `${words.slice(0, -1).join(', ')} ${conjunction} ${words.at(-1)}`;
}
