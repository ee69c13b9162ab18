/**
 * What a resource kind is made of: its schema, how its repository is reached, how the API
 * presents a stored record, and how the CLI names and prints it. The management API and the
 * CLI's `apply`, `get` and `delete` are generic over this shape (see `./index.ts`).
 */
import type { z } from 'zod';
import type { Store } from '../../store/types';

/** How the CLI and the API name a kind. */
export interface KindWords {
  /** `get webhook NAME`, `webhook/default/x created`, `delete webhook NAME`. */
  singular: string;
  /** `get webhooks` and the API path `/v1/webhooks`. */
  plural: string;
  /** Other words `get` and `delete` accept (`wh`). */
  aliases: readonly string[];
  /** Usage text of `get <plural>` and `get <singular> NAME`. */
  listHelp: string;
  getHelp: string;
  /** Usage text of `delete`: what deleting one does. */
  deleteHelp: string;
}

/** What a table cell may hold; null and undefined print as `-`. */
export type Cell = string | number | boolean | null | undefined;

/** One column of `tempohook get <plural>`. */
export interface KindColumn<V> {
  header: string;
  cell(view: V): Cell;
  /** Widest the column may be before cells are cut (the table's default otherwise). */
  maxWidth?: number;
}

/** What the generic routes need from a kind's repository; `A` is the parsed resource, `R` what is stored. */
export interface KindRepository<A, R> {
  /** Creates or replaces; `written` is the spec as sent, so durations stay "24h" where a kind stores it as is. */
  apply(namespace: string, name: string, resource: A, written: unknown): Promise<{ record: R; created: boolean }>;
  get(namespace: string, name: string): Promise<R | null>;
  /** Every namespace when `namespace` is undefined. */
  list(namespace?: string): Promise<R[]>;
  delete(namespace: string, name: string): Promise<boolean>;
}

/** What the API knows when it presents a record. */
export interface PresentContext {
  /** Public base URL of the ingress, for URLs shown in `status`. */
  publicUrl?: string;
}

/** What the CLI knows when it prints a resource. */
export interface PrintContext {
  /** The ingress the CLI talks to. */
  baseUrl: string;
}

/** One resource kind. Methods (not arrow properties) so kinds of different types fit one registry. */
export interface ResourceKind<K extends string = string, S extends z.ZodType = z.ZodType, R = unknown, V = unknown> {
  kind: K;
  /** The whole resource (`apiVersion`, `kind`, `metadata`, `spec`), built with `resourceSchema`. */
  schema: S;
  words: KindWords;
  /** Applied before the other kinds in one `tempohook apply` (others reference it). */
  appliedFirst?: boolean;
  repository(store: Store): KindRepository<z.infer<S>, R>;
  /** The record as the API answers: JSON only, secret values never. */
  present(record: R, context: PresentContext): V;
  /** The 404 message; default `<Kind> <name> not found in namespace <namespace>.` */
  notFound?(namespace: string, name: string): string;
  columns: ReadonlyArray<KindColumn<V>>;
  /** `get <singular> NAME` as labelled lines; without it the resource prints as YAML. */
  details?(view: V, context: PrintContext): Array<[label: string, value: Cell]>;
  /** Said after `<kind>/<namespace>/<name> created` by `apply` (a webhook's endpoint). */
  appliedNote?(view: V, context: PrintContext): string;
}

/** A kind as the registry holds it, whatever its record and view types. */
export type AnyResourceKind = ResourceKind<string, z.ZodType, any, any>;

/** Checks a kind's parts against each other; returns it unchanged. */
export function defineKind<K extends string, S extends z.ZodType, R, V>(
  kind: ResourceKind<K, S, R, V>,
): ResourceKind<K, S, R, V> {
  return kind;
}

/** The 404 message of a kind. */
export function notFoundMessage(kind: AnyResourceKind, namespace: string, name: string): string {
  return kind.notFound?.(namespace, name) ?? `${kind.kind} ${name} not found in namespace ${namespace}.`;
}

/** `2025-01-02T03:04:05Z`: ISO without milliseconds, short enough for a table. */
export function shortTime(iso: unknown): string | null {
  if (typeof iso !== 'string' || iso === '') return null;
  return iso.replace(/\.\d+Z$/, 'Z');
}
