/**
 * `tempohook apply`, `get` and `delete`: Secrets and Webhooks through the management API.
 * `apply` validates every document locally with the same zod schemas as the API and sends
 * nothing unless all are valid; no command ever prints a secret value.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, resolve } from 'node:path';
import YAML from 'yaml';
import { TempohookError } from '../errors';
import {
  kindForWord,
  kindNamed,
  listOfWords,
  RESOURCE_KINDS,
  shortTime,
  type AnyResourceKind,
} from '../resources/kinds';
import { fieldPath } from '../resources/field-path';
import { interpolateEnv } from '../resources/interpolate-env';
import { DEFAULT_NAMESPACE } from '../resources/schemas';
import type { SubscriptionDeliveryView } from '../ingress/subscription-routes';
import type { DeliveryDetailView, DeliveryView, WaitView } from '../ingress/webhook-routes';
import { isUuid } from '../store/sql';
import { MAX_PAGE_SIZE, type Page } from '../store/types';
import { createApiClient, createCliContext, runReported, type ApiClient, type CliContext } from './api-client';
import { HELP_OPTION, namespaceFlag, outputFormat, parseCommandArgs, printStructured, type OutputFormat } from './args';
import { formatTable, type Cell } from './table';
import { AUDIT_WORDS, deleteTokens, getAccessListing, TOKEN_GET_USAGE, TOKEN_WORDS } from './token-commands';

// ---------------------------------------------------------------------------------------------
// apply

const KIND_NAMES = RESOURCE_KINDS.map((k) => k.kind);
const FIRST_KINDS = RESOURCE_KINDS.filter((k) => k.appliedFirst).map((k) => `${k.kind}s`);

const APPLY_USAGE = `Usage: tempohook apply -f FILE [-f FILE…] [-n NAMESPACE] [--dry-run]

Creates or updates the ${listOfWords(
  KIND_NAMES.map((k) => `${k}s`),
  'and',
)} described in YAML (or JSON)
files: one or many documents separated by "---". "-f -" reads standard input; a directory applies
its *.yaml, *.yml and *.json files. ${listOfWords(FIRST_KINDS, 'and')} are applied before the other kinds.
Every document is validated first: if one is invalid, nothing is sent.

\${VAR} in a string value is replaced by the environment variable VAR (unset is an error),
so secret values need not be written in files; write $\${ for a literal "\${".

Options:
  -f, --file FILE        a file, a directory, or - for standard input (repeatable)
  -n, --namespace NS     namespace for documents that name none (default "default")
      --dry-run          validate only; send nothing
`;

/** One YAML document (or one item of a `{items: […]}` list) and where it came from. */
interface SourceDocument {
  source: string;
  /** `documents[1]`, or `documents[0].items[2]` for a list. */
  label: string;
  value: unknown;
}

interface PreparedResource {
  kind: AnyResourceKind;
  name: string;
  namespace: string;
  /** The document as written (after `${VAR}` substitution): durations stay "24h". */
  body: { apiVersion: unknown; kind: string; metadata: Record<string, unknown>; spec: unknown };
  where: string;
}

async function readSources(ctx: CliContext, files: string[]): Promise<Array<{ source: string; text: string }>> {
  const sources: Array<{ source: string; text: string }> = [];
  let stdinRead = false;
  for (const file of files) {
    if (file === '-') {
      if (stdinRead) throw new TempohookError('usage', '"-f -" may be given only once.', 400);
      stdinRead = true;
      sources.push({ source: '<stdin>', text: await ctx.readStdin() });
      continue;
    }
    const path = resolve(ctx.cwd, file);
    let info;
    try {
      info = await stat(path);
    } catch {
      throw new TempohookError('file_not_found', `${file}: no such file or directory.`, 400);
    }
    if (info.isDirectory()) {
      const names = (await readdir(path)).filter((name) => ['.yaml', '.yml', '.json'].includes(extname(name))).sort();
      if (names.length === 0)
        throw new TempohookError('file_not_found', `${file}: the directory has no .yaml, .yml or .json file.`, 400);
      for (const name of names)
        sources.push({
          source: `${file.replace(/\/+$/, '')}/${name}`,
          text: await readFile(resolve(path, name), 'utf8'),
        });
    } else {
      sources.push({ source: file, text: await readFile(path, 'utf8') });
    }
  }
  return sources;
}

/** Splits a YAML stream into documents; a syntax error names the file, document, line and column. */
export function parseDocuments(source: string, text: string): SourceDocument[] {
  const documents: SourceDocument[] = [];
  YAML.parseAllDocuments(text).forEach((doc, index) => {
    const label = `documents[${index}]`;
    const error = doc.errors[0];
    // Only the first line: the rest of yaml's message quotes the file, which may hold a secret.
    if (error) throw new TempohookError('invalid_yaml', `${source}: ${label}: ${error.message.split('\n')[0]}`, 400);
    let value: unknown;
    try {
      value = doc.toJS();
    } catch (err) {
      throw new TempohookError('invalid_yaml', `${source}: ${label}: ${(err as Error).message.split('\n')[0]}`, 400);
    }
    if (value === null || value === undefined) return;
    const list = value as { kind?: unknown; items?: unknown };
    // `tempohook get webhooks -o yaml` prints {items: […]}; applying it back applies each item.
    if (typeof value === 'object' && !Array.isArray(value) && list.kind === undefined && Array.isArray(list.items)) {
      list.items.forEach((item, i) => documents.push({ source, label: `${label}.items[${i}]`, value: item }));
      return;
    }
    documents.push({ source, label, value });
  });
  return documents;
}

/** Fields the server sets; dropped so `get -o yaml` output can be applied again. */
const READ_ONLY_METADATA = ['uid', 'generation', 'createdAt', 'updatedAt'];

/** Validates one document; returns the resource to send, or the problems found (each naming its path). */
function prepareDocument(
  doc: SourceDocument,
  env: NodeJS.ProcessEnv,
  flagNamespace: string | undefined,
): PreparedResource | string[] {
  const where = `${doc.source}: ${doc.label}`;
  const at = (path: string) => `${doc.source}: ${doc.label}${path}`;
  if (!doc.value || typeof doc.value !== 'object' || Array.isArray(doc.value)) {
    return [`${where}: must be a mapping with apiVersion, kind, metadata and spec`];
  }
  let value: Record<string, unknown>;
  try {
    value = interpolateEnv(doc.value, env, `${doc.source}: ${doc.label}`) as Record<string, unknown>;
  } catch (err) {
    if (err instanceof TempohookError) return [err.message];
    throw err;
  }
  const kind = kindNamed(value.kind);
  if (!kind) {
    return [
      `${at('.kind')}: ${value.kind === undefined ? 'missing' : `${JSON.stringify(value.kind)} is not supported`}; use ${listOfWords(KIND_NAMES)}`,
    ];
  }
  const { status: _status, ...rest } = value;
  const metadata =
    rest.metadata && typeof rest.metadata === 'object' && !Array.isArray(rest.metadata)
      ? { ...(rest.metadata as Record<string, unknown>) }
      : rest.metadata;
  if (metadata && typeof metadata === 'object')
    for (const key of READ_ONLY_METADATA) delete (metadata as Record<string, unknown>)[key];
  const candidate = { ...rest, metadata };

  const parsed = kind.schema.safeParse(candidate);
  if (!parsed.success) return parsed.error.issues.map((issue) => `${at(fieldPath(issue.path))}: ${issue.message}`);

  const meta = metadata as { name: string; namespace?: string };
  if (meta.namespace !== undefined && flagNamespace !== undefined && meta.namespace !== flagNamespace) {
    return [
      `${at('.metadata.namespace')}: "${meta.namespace}" differs from -n ${flagNamespace}; make them equal or drop one`,
    ];
  }
  return {
    kind,
    name: meta.name,
    namespace: meta.namespace ?? flagNamespace ?? DEFAULT_NAMESPACE,
    body: { ...(candidate as PreparedResource['body']), kind: kind.kind },
    where,
  };
}

/** Reads, validates and orders every resource; throws one error listing every problem. */
export async function loadResources(
  ctx: CliContext,
  files: string[],
  flagNamespace?: string,
): Promise<PreparedResource[]> {
  const documents = (await readSources(ctx, files)).flatMap(({ source, text }) => parseDocuments(source, text));
  if (documents.length === 0)
    throw new TempohookError('invalid_resource', `${files.join(', ')}: no documents to apply.`, 400);
  const problems: string[] = [];
  const resources: PreparedResource[] = [];
  const seen = new Map<string, string>();
  for (const doc of documents) {
    const result = prepareDocument(doc, ctx.env, flagNamespace);
    if (Array.isArray(result)) {
      problems.push(...result);
      continue;
    }
    const key = `${result.kind.kind}/${result.namespace}/${result.name}`;
    const first = seen.get(key);
    if (first)
      problems.push(
        `${result.where}: ${result.kind.kind} ${result.namespace}/${result.name} is already defined by ${first}`,
      );
    else seen.set(key, result.where);
    resources.push(result);
  }
  if (problems.length > 0) {
    const shown = problems.slice(0, 20);
    const more = problems.length > shown.length ? `\n  … and ${problems.length - shown.length} more` : '';
    throw new TempohookError(
      'invalid_resource',
      `nothing was applied; fix ${problems.length === 1 ? 'this' : 'these'} first:\n  ${shown.join('\n  ')}${more}`,
      400,
    );
  }
  // Other kinds reference Secrets, so Secrets go first; otherwise file order.
  return [...resources.filter((r) => r.kind.appliedFirst), ...resources.filter((r) => !r.kind.appliedFirst)];
}

const APPLY_OPTIONS = {
  file: { type: 'string', short: 'f', multiple: true },
  namespace: { type: 'string', short: 'n' },
  'dry-run': { type: 'boolean' },
  ...HELP_OPTION,
} as const;

/** `tempohook apply -f FILE…` */
export async function applyCommand(argv: string[], ctx: CliContext = createCliContext()): Promise<number> {
  return runReported(ctx, async () => {
    const { values, positionals } = parseCommandArgs(argv, APPLY_OPTIONS, 'apply');
    if (values.help) {
      ctx.stdout(APPLY_USAGE);
      return 0;
    }
    if (positionals.length > 0)
      throw new TempohookError(
        'usage',
        `unexpected argument "${positionals[0]}"; files are given with -f (see \`tempohook apply --help\`)`,
        400,
      );
    if (!values.file || values.file.length === 0)
      throw new TempohookError('usage', 'apply needs at least one -f FILE (or -f - for standard input).', 400);
    const flagNamespace = namespaceFlag(values.namespace);

    const resources = await loadResources(ctx, values.file, flagNamespace);
    if (values['dry-run']) {
      for (const r of resources) ctx.stdout(`${r.kind.words.singular}/${r.namespace}/${r.name} valid (dry run)\n`);
      return 0;
    }
    const api = await createApiClient(ctx);
    for (const { kind, name, namespace, body: sent } of resources) {
      const { status, body } = await api.request<{ metadata: { name: string; namespace: string } }>(
        'PUT',
        `/v1/${kind.words.plural}/${encodeURIComponent(name)}`,
        { query: { namespace }, body: sent },
      );
      const verb = status === 201 ? 'created' : 'configured';
      const note = kind.appliedNote?.(body, { baseUrl: api.baseUrl }) ?? '';
      ctx.stdout(`${kind.words.singular}/${body.metadata.namespace}/${body.metadata.name} ${verb}${note}\n`);
    }
    return 0;
  });
}

/** A paged list of one resource's records (`get deliveries`, `get waits`, `get subscription-deliveries`) and how to print it. */
interface PagedListing<T> {
  target: 'deliveries' | 'waits' | 'subscription-deliveries';
  /** Words `get` accepts for it. */
  words: readonly string[];
  /** Usage text. */
  help: string;
  /** Whose records they are, and the API path of the list. */
  owner: 'webhook' | 'subscription';
  path: (name: string) => string;
  /** `No deliveries yet` / `No open waits`. */
  empty: string;
  headers: string[];
  row: (item: T) => Cell[];
  maxWidths: Record<string, number>;
  /** Search flags it takes (flag → query parameter). */
  filters?: Readonly<Record<string, string>>;
}

/** `deploy:start=started repo:signalWithStart=signaled`: what each route did. */
const routesCell = (d: DeliveryView) =>
  d.actions?.map((a) => `${a.route}:${a.action}=${a.status}`).join(' ') || undefined;

/** `get deliveries` search flags and the API's query parameters they set. */
export const DELIVERY_FILTERS = {
  outcome: 'outcome',
  status: 'status',
  'event-id': 'eventId',
  'workflow-id': 'workflowId',
  since: 'since',
  until: 'until',
} as const;

const DELIVERIES: PagedListing<DeliveryView> = {
  target: 'deliveries',
  // `get delivery ID` (a delivery id) is one delivery (printDelivery); `get delivery NAME` still lists.
  words: ['deliveries', 'delivery'],
  help: "a webhook's deliveries, newest first",
  owner: 'webhook',
  path: (name) => `/v1/webhooks/${encodeURIComponent(name)}/deliveries`,
  empty: 'No deliveries',
  headers: ['RECEIVED', 'EVENT-ID', 'STATUS', 'OUTCOME', 'WORKFLOW-ID', 'ROUTES', 'REASON'],
  row: (d) => [shortTime(d.receivedAt), d.eventId, d.httpStatus, d.outcome, d.workflowId, routesCell(d), d.reason],
  maxWidths: { 'EVENT-ID': 40, 'WORKFLOW-ID': 60, ROUTES: 80, REASON: 60 },
  filters: DELIVERY_FILTERS,
};

const matchText = (w: WaitView) =>
  [
    ...Object.entries(w.match).map(([path, value]) => `${path}=${JSON.stringify(value)}`),
    ...(w.if ? [`if ${w.if}`] : []),
  ].join(' ') || '(any delivery)';

const WAITS: PagedListing<WaitView> = {
  target: 'waits',
  words: ['waits', 'wait'],
  help: 'runs waiting on a webhook (waitForWebhook), oldest first',
  owner: 'webhook',
  path: (name) => `/v1/webhooks/${encodeURIComponent(name)}/waits`,
  empty: 'No open waits',
  headers: ['CREATED', 'WORKFLOW-ID', 'WORKFLOW-TYPE', 'STATE', 'MATCH', 'TIMEOUT', 'WAIT-ID'],
  row: (w) => [
    shortTime(w.createdAt),
    w.workflowId,
    w.workflowType,
    w.state,
    matchText(w),
    shortTime(w.timeoutAt) ?? 'none',
    w.waitId,
  ],
  maxWidths: { 'WORKFLOW-ID': 60, MATCH: 80 },
};

/** `get deliveries|waits|subscription-deliveries NAME`: one page, and the command for the next. */
async function printPagedListing<T>(
  ctx: CliContext,
  api: ApiClient,
  listing: PagedListing<T>,
  page: {
    name: string;
    namespace: string | undefined;
    limit: number | undefined;
    cursor: string | undefined;
    format: OutputFormat;
    /** Search flags given (flag → value). */
    filters: Record<string, string>;
  },
): Promise<number> {
  const { name, namespace, limit, cursor, format, filters } = page;
  const ns = namespace ?? DEFAULT_NAMESPACE;
  const search = Object.fromEntries(Object.entries(filters).map(([flag, value]) => [listing.filters![flag]!, value]));
  const { body } = await api.request<Page<T>>('GET', listing.path(name), {
    query: { namespace: ns, limit, cursor, ...search },
  });
  if (format !== 'table') return printStructured(ctx, body, format);
  if (body.items.length === 0) {
    ctx.stderr(`${listing.empty} ${cursor ? 'after this cursor' : 'yet'} for ${listing.owner} ${ns}/${name}.\n`);
    return 0;
  }
  ctx.stdout(formatTable(listing.headers, body.items.map(listing.row), { maxWidths: listing.maxWidths }));
  if (body.nextCursor) {
    const again = [
      `tempohook get ${listing.target} ${name}`,
      ...(namespace ? [`-n ${namespace}`] : []),
      ...Object.entries(filters).map(([flag, value]) => `--${flag} ${value}`),
      ...(limit ? [`--limit ${limit}`] : []),
      `--cursor ${body.nextCursor}`,
    ];
    ctx.stdout(`\nMore: ${again.join(' ')}\n`);
  }
  return 0;
}

function parseLimit(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const limit = Number(value);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE)
    throw new TempohookError('usage', `--limit ${value}: use a whole number from 1 to ${MAX_PAGE_SIZE}.`, 400);
  return limit;
}

/** `tempohook get …` */

/** `get subscription-deliveries NAME`: a subscription's delivery log, newest first. */
const SUBSCRIPTION_DELIVERIES: PagedListing<SubscriptionDeliveryView> = {
  target: 'subscription-deliveries',
  words: ['subscription-deliveries', 'sub-deliveries'],
  help: "a subscription's notification deliveries, newest first",
  owner: 'subscription',
  path: (name) => `/v1/subscriptions/${encodeURIComponent(name)}/deliveries`,
  empty: 'No deliveries',
  headers: [
    'CREATED',
    'EVENT-TYPE',
    'EVENT-ID',
    'STATUS',
    'ATTEMPTS',
    'HTTP',
    'WORKFLOW-ID',
    'LAST-ERROR',
    'DELIVERY-ID',
  ],
  row: (d) => [
    shortTime(d.createdAt),
    d.eventType,
    d.eventId,
    d.status,
    d.attempts,
    d.lastHttpStatus,
    d.workflow?.id ?? null,
    d.lastError,
    d.id,
  ],
  maxWidths: { 'EVENT-ID': 60, 'WORKFLOW-ID': 60, 'LAST-ERROR': 60 },
};

/** The paged listings `get` knows, beside the kinds. */
const PAGED_LISTINGS: ReadonlyArray<PagedListing<never>> = [DELIVERIES, WAITS, SUBSCRIPTION_DELIVERIES];

// ---------------------------------------------------------------------------------------------
// get

const LISTING_USAGE = '[-n NS] [--limit N] [--cursor C] [-o …]';
const usageLine = (command: string, help: string) =>
  command.length < 57 ? `  ${command.padEnd(57)}${help}\n` : `  ${command}\n  ${''.padEnd(57)}${help}\n`;

const GET_USAGE = `Usage:
${RESOURCE_KINDS.map(
  ({ words }) =>
    usageLine(`tempohook get ${words.plural} [-n NS] [-o …]`, words.listHelp) +
    usageLine(`tempohook get ${words.singular} NAME [-n NS] [-o …]`, words.getHelp),
).join(
  '',
)}${PAGED_LISTINGS.map((l) => usageLine(`tempohook get ${l.target} NAME ${LISTING_USAGE}`, l.help)).join('')}${usageLine(
  'tempohook get delivery ID [-n NS] [-o …]',
  'one delivery: outcome, run (Temporal UI link), kept body and headers',
)}${TOKEN_GET_USAGE.map(([command, help]) => usageLine(command, help)).join('')}
Options:
  -n, --namespace NS     namespace (default "default" for one resource; all namespaces for a list)
  -o, --output FORMAT    table (default), json or yaml: json and yaml print the API's answer
      --limit N          ${listOfWords(PAGED_LISTINGS.map((l) => l.target))} per page, 1–${MAX_PAGE_SIZE} (default 50)
      --cursor C         the page after the one that printed this cursor

Searching deliveries (tempohook get deliveries NAME, or --webhook NAME):
      --outcome O[,O…]   started, duplicate, failed, rejected, ignored, signaled, challenge, pending
      --status CODE      the HTTP status answered (e.g. 503)
      --event-id ID      one event's deliveries
      --workflow-id ID   the deliveries that led to this workflow id
      --since T          received at or after T: an instant (2026-11-26T02:00:00Z) or a duration back from now (2h, 7d)
      --until T          received before T (same forms)

Searching the audit log (tempohook get audit; an admin token of every namespace):
      --token NAME       the calls of one token ("admin": TEMPOHOOK_ADMIN_TOKEN)
      --since T, --until T, -n NS, --limit N, --cursor C   as above
`;

const GET_OPTIONS = {
  namespace: { type: 'string', short: 'n' },
  output: { type: 'string', short: 'o' },
  limit: { type: 'string' },
  cursor: { type: 'string' },
  webhook: { type: 'string' },
  token: { type: 'string' },
  ...Object.fromEntries(Object.keys(DELIVERY_FILTERS).map((flag) => [flag, { type: 'string' }])),
  ...HELP_OPTION,
} as const;

/** `get <plural>`: the kind's columns as a table. */
function printTable(ctx: CliContext, kind: AnyResourceKind, items: unknown[]): void {
  const maxWidths = Object.fromEntries(
    kind.columns.flatMap((c) => (c.maxWidth === undefined ? [] : [[c.header, c.maxWidth]])),
  );
  ctx.stdout(
    formatTable(
      kind.columns.map((c) => c.header),
      items.map((item) => kind.columns.map((c) => c.cell(item))),
      { maxWidths },
    ),
  );
}

/** `get <singular> NAME` as a table: the kind's labelled lines, or YAML for a kind that has none. */
function printDetails(ctx: CliContext, api: ApiClient, kind: AnyResourceKind, view: unknown): number {
  if (!kind.details) return printStructured(ctx, view, 'yaml');
  const shown = kind
    .details(view, { baseUrl: api.baseUrl })
    .filter(([, v]) => v !== undefined && v !== null && v !== '');
  const width = Math.max(...shown.map(([label]) => label.length)) + 2;
  ctx.stdout(shown.map(([label, value]) => `${`${label}:`.padEnd(width)}${String(value)}\n`).join(''));
  return 0;
}

/** `get <plural>` and `get <singular> NAME` for any kind. */
async function printResources(
  ctx: CliContext,
  api: ApiClient,
  kind: AnyResourceKind,
  request: { name: string | undefined; namespace: string | undefined; format: OutputFormat },
): Promise<number> {
  const { name, namespace, format } = request;
  if (name) {
    const { body } = await api.request('GET', `/v1/${kind.words.plural}/${encodeURIComponent(name)}`, {
      query: { namespace: namespace ?? DEFAULT_NAMESPACE },
    });
    return format === 'table' ? printDetails(ctx, api, kind, body) : printStructured(ctx, body, format);
  }
  const { body } = await api.request<{ items: unknown[] }>('GET', `/v1/${kind.words.plural}`, { query: { namespace } });
  if (format !== 'table') return printStructured(ctx, body, format);
  if (body.items.length === 0)
    ctx.stderr(`No ${kind.words.plural} found${namespace ? ` in namespace ${namespace}` : ''}.\n`);
  else printTable(ctx, kind, body.items);
  return 0;
}

const targetNames = () =>
  listOfWords([
    ...RESOURCE_KINDS.flatMap(({ words }) => [words.plural, `${words.singular} NAME`]),
    ...PAGED_LISTINGS.map((l) => `${l.target} NAME`),
    'tokens',
    'audit',
  ]);

/** `tempohook get …` */
export async function getCommand(argv: string[], ctx: CliContext = createCliContext()): Promise<number> {
  return runReported(ctx, async () => {
    const { values, positionals } = parseCommandArgs(argv, GET_OPTIONS, 'get');
    if (values.help) {
      ctx.stdout(GET_USAGE);
      return 0;
    }
    const [what, positionalName, ...extra] = positionals;
    if (what && ([...TOKEN_WORDS, ...AUDIT_WORDS] as string[]).includes(what))
      return getAccessListing(ctx, what, positionals.slice(1), values);
    if (values.token !== undefined)
      throw new TempohookError('usage', '--token applies to `get audit` only (see `tempohook get --help`).', 400);
    const kind = what ? kindForWord(what) : undefined;
    const listing = what ? PAGED_LISTINGS.find((l) => l.words.includes(what)) : undefined;
    if (!kind && !listing)
      throw new TempohookError(
        'usage',
        `${what ? `"${what}" is not something to get` : 'get what?'}: use ${targetNames()} (see \`tempohook get --help\`)`,
        400,
      );
    if (extra.length > 0)
      throw new TempohookError('usage', `unexpected argument "${extra[0]}" (see \`tempohook get --help\`)`, 400);
    const format = outputFormat(values.output, 'get');
    const namespace = namespaceFlag(values.namespace);
    const limit = parseLimit(values.limit);
    if ((limit !== undefined || values.cursor !== undefined) && !listing) {
      throw new TempohookError(
        'usage',
        `--limit and --cursor apply to ${listOfWords(
          PAGED_LISTINGS.map((l) => `\`get ${l.target}\``),
          'and',
        )} only.`,
        400,
      );
    }
    const filters = Object.fromEntries(
      Object.keys(DELIVERY_FILTERS).flatMap((flag) => {
        const value = (values as Record<string, unknown>)[flag];
        return typeof value === 'string' ? [[flag, value]] : [];
      }),
    );
    if ((values.webhook !== undefined || Object.keys(filters).length > 0) && listing !== DELIVERIES)
      throw new TempohookError(
        'usage',
        `--webhook and the search flags (--${Object.keys(DELIVERY_FILTERS).join(', --')}) apply to \`get deliveries\` only.`,
        400,
      );
    if (positionalName !== undefined && values.webhook !== undefined && positionalName !== values.webhook)
      throw new TempohookError(
        'usage',
        `name the webhook once: "${positionalName}" or --webhook ${values.webhook}.`,
        400,
      );
    const name = positionalName ?? values.webhook;
    const api = await createApiClient(ctx);
    if (kind) return printResources(ctx, api, kind, { name, namespace, format });
    if (what === 'delivery' && positionalName !== undefined && isUuid(positionalName))
      return printDelivery(ctx, api, { id: positionalName, namespace, format });
    if (!name) throw new TempohookError('usage', `get ${listing!.target} needs the ${listing!.owner} NAME.`, 400);
    return printPagedListing(ctx, api, listing as PagedListing<unknown>, {
      name,
      namespace,
      limit,
      cursor: values.cursor,
      format,
      filters,
    });
  });
}

/** `get delivery ID`: one delivery with its run and, while kept, its body and headers. */
async function printDelivery(
  ctx: CliContext,
  api: ApiClient,
  request: { id: string; namespace: string | undefined; format: OutputFormat },
): Promise<number> {
  const { body } = await api.request<DeliveryDetailView>('GET', `/v1/deliveries/${encodeURIComponent(request.id)}`, {
    query: { namespace: request.namespace ?? DEFAULT_NAMESPACE },
  });
  if (request.format !== 'table') return printStructured(ctx, body, request.format);
  const d = body;
  const lines: Array<[string, unknown]> = [
    ['Delivery', d.id],
    ['Webhook', `${d.namespace}/${d.webhook}`],
    ['Received', d.receivedAt],
    ['Event id', d.eventId],
    ['Source event', d.sourceEvent],
    ['Outcome', `${d.outcome}${d.httpStatus === null ? '' : ` (HTTP ${d.httpStatus})`}`],
    ['Reason', d.reason],
    ['Duplicate of', d.duplicateOf],
    ['Replay of', d.replayOf],
    ['Routes', routesCell(d)],
    ['Workflow id', d.run?.workflowId],
    ['Run id', d.run?.runId],
    ['Temporal UI', d.run?.url],
    [
      'Payload',
      d.payloadKept
        ? `kept (${d.contentType ?? 'no content type'}, ${d.bodyBytes} bytes, shown as ${d.bodyEncoding})`
        : 'not kept (unverified, past spec.retention.payloads, or the webhook keeps none)',
    ],
  ];
  const shown = lines.filter(([, v]) => v !== undefined && v !== null && v !== '');
  const width = Math.max(...shown.map(([label]) => label.length)) + 2;
  ctx.stdout(
    shown
      .map(
        ([label, value]) => `${`${label}:`.padEnd(width)}${String(value)}
`,
      )
      .join(''),
  );
  if (d.payloadKept) {
    const headers = Object.entries(d.headers ?? {}).sort(([a], [b]) => a.localeCompare(b));
    ctx.stdout(`
Headers (credentials removed):
${headers
  .map(
    ([n, v]) => `  ${n}: ${v}
`,
  )
  .join('')}`);
    const text = d.bodyEncoding === 'json' ? JSON.stringify(d.body, null, 2) : String(d.body);
    ctx.stdout(`
Body${d.bodyEncoding === 'base64' ? ' (base64)' : ''}:
${text}
`);
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------
// delete

const DELETE_USAGE = `Usage: tempohook delete ${RESOURCE_KINDS.map((k) => k.words.singular).join('|')}|token NAME [NAME…] [-n NAMESPACE]

Deletes resources:
${RESOURCE_KINDS.map(({ words }) => `  ${words.singular.padEnd(21)}${words.deleteHelp}\n`).join('')}  ${'token'.padEnd(21)}revoke an API token: every ingress refuses it from the next request on

Options:
  -n, --namespace NS     namespace (default "default")
`;

const DELETE_OPTIONS = {
  namespace: { type: 'string', short: 'n' },
  ...HELP_OPTION,
} as const;

/** `tempohook delete <kind> NAME…` */
export async function deleteCommand(argv: string[], ctx: CliContext = createCliContext()): Promise<number> {
  return runReported(ctx, async () => {
    const { values, positionals } = parseCommandArgs(argv, DELETE_OPTIONS, 'delete');
    if (values.help) {
      ctx.stdout(DELETE_USAGE);
      return 0;
    }
    const [what, ...names] = positionals;
    if (what && (TOKEN_WORDS as readonly string[]).includes(what)) {
      if (values.namespace !== undefined)
        throw new TempohookError('usage', '-n does not apply to tokens: they belong to no namespace.', 400);
      return deleteTokens(ctx, names);
    }
    const kind = what ? kindForWord(what) : undefined;
    if (!kind) {
      throw new TempohookError(
        'usage',
        `${what ? `cannot delete "${what}"` : 'delete what?'}: use ${listOfWords([...RESOURCE_KINDS.map((k) => `delete ${k.words.singular} NAME`), 'delete token NAME'])} (see \`tempohook delete --help\`)`,
        400,
      );
    }
    const { singular, plural } = kind.words;
    if (names.length === 0) throw new TempohookError('usage', `delete ${singular} needs a NAME.`, 400);
    const namespace = namespaceFlag(values.namespace) ?? DEFAULT_NAMESPACE;
    const api = await createApiClient(ctx);
    for (const name of names) {
      await api.request('DELETE', `/v1/${plural}/${encodeURIComponent(name)}`, { query: { namespace } });
      ctx.stdout(`${singular}/${namespace}/${name} deleted\n`);
    }
    return 0;
  });
}
