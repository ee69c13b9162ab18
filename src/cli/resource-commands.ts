/**
 * `tempohook apply`, `get` and `delete`: Secrets and Webhooks through the management API.
 * `apply` validates every document locally with the same zod schemas as the API and sends
 * nothing unless all are valid; no command ever prints a secret value.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import YAML from 'yaml';
import type { z } from 'zod';
import { TempohookError } from '../errors';
import {
  DEFAULT_NAMESPACE,
  resourceName,
  secretResource,
  subscriptionResource,
  webhookResource,
} from '../resources/schemas';
import { fieldPath } from '../resources/field-path';
import { interpolateEnv } from '../resources/interpolate-env';
import { createApiClient, createCliContext, runReported, type ApiClient, type CliContext } from './api-client';
import { formatTable, type Cell } from './table';

// ---------------------------------------------------------------------------------------------
// Shared helpers

type OptionsConfig = NonNullable<ParseArgsConfig['options']>;

/** `parseArgs` whose mistakes become a `usage` error pointing at `--help`. */
export function parseCommandArgs<O extends OptionsConfig>(
  argv: string[],
  options: O,
  command: string,
): ReturnType<typeof parseArgs<{ args: string[]; options: O; allowPositionals: true; strict: true }>> {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new TempohookError('usage', `${(err as Error).message} (see \`tempohook ${command} --help\`)`, 400);
  }
}

export const OUTPUT_FORMATS = ['table', 'json', 'yaml'] as const;
type OutputFormat = (typeof OUTPUT_FORMATS)[number];

function outputFormat(value: string | undefined, command: string): OutputFormat {
  const format = (value ?? 'table') as OutputFormat;
  if (!OUTPUT_FORMATS.includes(format))
    throw new TempohookError(
      'usage',
      `-o ${value} is not one of ${OUTPUT_FORMATS.join(', ')} (see \`tempohook ${command} --help\`)`,
      400,
    );
  return format;
}

/** Validates a namespace given on the command line, as the API would. */
export function namespaceFlag(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!resourceName.safeParse(value).success)
    throw new TempohookError('usage', `-n ${value}: a namespace is lower-case letters, digits and "-".`, 400);
  return value;
}

/** Prints the API's answer as JSON or YAML; returns the exit code. */
function printStructured(ctx: CliContext, body: unknown, format: 'json' | 'yaml'): number {
  ctx.stdout(format === 'json' ? `${JSON.stringify(body, null, 2)}\n` : YAML.stringify(body, { lineWidth: 0 }));
  return 0;
}

/** `2025-01-02T03:04:05Z`: ISO without milliseconds, short enough for a table. */
function shortTime(iso: unknown): string | null {
  if (typeof iso !== 'string' || iso === '') return null;
  return iso.replace(/\.\d+Z$/, 'Z');
}

// The shapes the management API answers with (only what the CLI reads).
interface WebhookView {
  metadata: { name: string; namespace: string; generation?: number; createdAt?: string; updatedAt?: string };
  spec: {
    profile?: string;
    secretRef?: unknown;
    conditions?: Array<{ type?: string }>;
    filters?: unknown[];
    eventIdHeader?: string;
    dedupWindow?: string | number;
    timestampTolerance?: string | number;
    maxBodyBytes?: number;
    start?: { workflowType?: string; taskQueue?: string; workflowId?: string };
  };
  status: {
    endpointPath: string;
    url?: string;
    verified: boolean;
    lastDeliveryAt: string | null;
    lastError: string | null;
    lastErrorAt: string | null;
    deliveriesAccepted: number;
    deliveriesRejected: number;
  };
}
interface SecretView {
  metadata: { name: string; namespace: string; createdAt?: string; updatedAt?: string };
  status: { keys: string[] };
}
interface DeliveryView {
  id: string;
  eventId: string | null;
  sourceEvent: string | null;
  receivedAt: string;
  httpStatus: number | null;
  outcome: string;
  reason: string | null;
  workflowId: string | null;
  runId: string | null;
  duplicateOf: string | null;
}

interface WaitView {
  waitId: string;
  workflowId: string;
  runId: string;
  workflowType: string;
  match: Record<string, unknown>;
  if: string | null;
  state: string;
  createdAt: string;
  timeoutAt: string | null;
}

/** The URL a provider should call: the ingress's public URL when it knows one, else ours. */
function endpointUrl(api: ApiClient, webhook: WebhookView): string {
  return webhook.status.url ?? `${api.baseUrl}${webhook.status.endpointPath}`;
}

// ---------------------------------------------------------------------------------------------
// apply

const APPLY_USAGE = `Usage: tempohook apply -f FILE [-f FILE…] [-n NAMESPACE] [--dry-run]

Creates or updates the Secrets, Webhooks and Subscriptions described in YAML (or JSON) files: one or many
documents separated by "---". "-f -" reads standard input; a directory applies its *.yaml,
*.yml and *.json files. Secrets are applied before Webhooks. Every document is validated
first: if one is invalid, nothing is sent.

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

const RESOURCE_KINDS = {
  Secret: { schema: secretResource, plural: 'secrets' },
  Webhook: { schema: webhookResource, plural: 'webhooks' },
  Subscription: { schema: subscriptionResource, plural: 'subscriptions' },
} as const;
type ResourceKind = keyof typeof RESOURCE_KINDS;

interface PreparedResource {
  kind: ResourceKind;
  name: string;
  namespace: string;
  /** The document as written (after `${VAR}` substitution): durations stay "24h". */
  body: { apiVersion: unknown; kind: ResourceKind; metadata: Record<string, unknown>; spec: unknown };
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
  const kind = value.kind;
  if (kind !== 'Secret' && kind !== 'Webhook' && kind !== 'Subscription') {
    return [
      `${at('.kind')}: ${kind === undefined ? 'missing' : `${JSON.stringify(kind)} is not supported`}; use Secret, Webhook or Subscription`,
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

  const parsed = (RESOURCE_KINDS[kind].schema as z.ZodType).safeParse(candidate);
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
    body: { ...(candidate as PreparedResource['body']), kind },
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
    const key = `${result.kind}/${result.namespace}/${result.name}`;
    const first = seen.get(key);
    if (first)
      problems.push(
        `${result.where}: ${result.kind} ${result.namespace}/${result.name} is already defined by ${first}`,
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
  // Webhooks and Subscriptions reference Secrets, so Secrets go first; otherwise file order.
  return [...resources.filter((r) => r.kind === 'Secret'), ...resources.filter((r) => r.kind !== 'Secret')];
}

const APPLY_OPTIONS = {
  file: { type: 'string', short: 'f', multiple: true },
  namespace: { type: 'string', short: 'n' },
  'dry-run': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
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
      for (const r of resources) ctx.stdout(`${r.kind.toLowerCase()}/${r.namespace}/${r.name} valid (dry run)\n`);
      return 0;
    }
    const api = await createApiClient(ctx);
    for (const resource of resources) {
      const plural = RESOURCE_KINDS[resource.kind].plural;
      const { status, body } = await api.request<WebhookView | SecretView>(
        'PUT',
        `/v1/${plural}/${encodeURIComponent(resource.name)}`,
        {
          query: { namespace: resource.namespace },
          body: resource.body,
        },
      );
      const verb = status === 201 ? 'created' : 'configured';
      const id = `${resource.kind.toLowerCase()}/${body.metadata.namespace}/${body.metadata.name}`;
      if (resource.kind === 'Webhook') ctx.stdout(`${id} ${verb}: POST ${endpointUrl(api, body as WebhookView)}\n`);
      else ctx.stdout(`${id} ${verb}\n`);
    }
    return 0;
  });
}

// ---------------------------------------------------------------------------------------------
// get

const GET_USAGE = `Usage:
  tempohook get webhooks [-n NS] [-o table|json|yaml]      list webhooks (every namespace unless -n)
  tempohook get webhook NAME [-n NS] [-o …]                one webhook: spec, endpoint, status, last error
  tempohook get secrets [-n NS] [-o …]                     list secrets (key names only, never values)
  tempohook get secret NAME [-n NS] [-o …]
  tempohook get deliveries NAME [-n NS] [--limit N] [--cursor C] [-o …]
                                                           a webhook's deliveries, newest first
  tempohook get waits NAME [-n NS] [--limit N] [--cursor C] [-o …]
                                                           runs waiting on a webhook (waitForWebhook), oldest first
  tempohook get subscriptions [-n NS] [-o …]               outbound subscriptions and their state
  tempohook get subscription NAME [-n NS] [-o …]          (-n settings: the workers' TEMPOHOOK_SUBSCRIPTIONS_FILE ones)
  tempohook get subscription-deliveries NAME [-n NS] [--limit N] [--cursor C] [-o …]
                                                           a subscription's notification deliveries, newest first

Options:
  -n, --namespace NS     namespace (default "default" for one resource; all namespaces for a list)
  -o, --output FORMAT    table (default), json or yaml: json and yaml print the API's answer
      --limit N          deliveries or waits per page, 1–200 (default 50)
      --cursor C         the page after the one that printed this cursor
`;

const GET_OPTIONS = {
  namespace: { type: 'string', short: 'n' },
  output: { type: 'string', short: 'o' },
  limit: { type: 'string' },
  cursor: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

type GetTarget = 'webhook' | 'secret' | 'deliveries' | 'waits' | 'subscription' | 'subscription-deliveries';
const GET_TARGETS: Record<string, GetTarget> = {
  webhook: 'webhook',
  webhooks: 'webhook',
  wh: 'webhook',
  secret: 'secret',
  secrets: 'secret',
  deliveries: 'deliveries',
  delivery: 'deliveries',
  waits: 'waits',
  wait: 'waits',
  subscription: 'subscription',
  subscriptions: 'subscription',
  sub: 'subscription',
  'subscription-deliveries': 'subscription-deliveries',
  'sub-deliveries': 'subscription-deliveries',
};

function secretRefText(ref: unknown): string | undefined {
  if (ref === undefined || ref === null) return undefined;
  const refs = Array.isArray(ref) ? ref : [ref];
  return refs
    .map((r) =>
      typeof r === 'string'
        ? r
        : r && typeof r === 'object'
          ? `${(r as { name?: string }).name}/${(r as { key?: string }).key}`
          : String(r),
    )
    .join(', ');
}

function describeWebhook(api: ApiClient, webhook: WebhookView): string {
  const { metadata, spec, status } = webhook;
  const lines: Array<[string, string | number | undefined | null]> = [
    ['Name', metadata.name],
    ['Namespace', metadata.namespace],
    ['Profile', spec.profile],
    ['Endpoint', `POST ${endpointUrl(api, webhook)}`],
    ['Secret refs', secretRefText(spec.secretRef) ?? 'none (verified by spec.conditions)'],
    [
      'Conditions',
      Array.isArray(spec.conditions) && spec.conditions.length > 0
        ? spec.conditions.map((c) => c.type).join(', ')
        : undefined,
    ],
    ['Start', spec.start ? `workflow ${spec.start.workflowType} on task queue ${spec.start.taskQueue}` : undefined],
    ['Workflow id', spec.start ? (spec.start.workflowId ?? '{namespace}/{webhook}/{eventId} (default)') : undefined],
    ['Event id header', spec.eventIdHeader],
    ['Dedup window', spec.dedupWindow],
    ['Timestamp tolerance', spec.timestampTolerance],
    ['Max body bytes', spec.maxBodyBytes],
    ['Verified', status.verified ? 'yes' : 'no (no delivery has passed verification yet)'],
    ['Last delivery', shortTime(status.lastDeliveryAt) ?? 'never'],
    [
      'Last error',
      status.lastError
        ? `${status.lastError}${status.lastErrorAt ? ` (at ${shortTime(status.lastErrorAt)})` : ''}`
        : 'none',
    ],
    ['Deliveries', `${status.deliveriesAccepted} accepted, ${status.deliveriesRejected} rejected`],
    ['Generation', metadata.generation],
    ['Created', shortTime(metadata.createdAt)],
    ['Updated', shortTime(metadata.updatedAt)],
  ];
  const shown = lines.filter(([, value]) => value !== undefined && value !== null && value !== '');
  const width = Math.max(...shown.map(([label]) => label.length)) + 2;
  return shown.map(([label, value]) => `${`${label}:`.padEnd(width)}${String(value)}\n`).join('');
}

function describeSecret(secret: SecretView): string {
  const rows: Array<[string, string]> = [
    ['Name', secret.metadata.name],
    ['Namespace', secret.metadata.namespace],
    ['Keys', secret.status.keys.join(', ')],
    ['Created', shortTime(secret.metadata.createdAt) ?? '-'],
    ['Updated', shortTime(secret.metadata.updatedAt) ?? '-'],
  ];
  return rows.map(([label, value]) => `${`${label}:`.padEnd(11)}${value}\n`).join('');
}

/** A paged list of one resource's records (`get deliveries`, `get waits`, `get subscription-deliveries`) and how to print it. */
interface PagedListing<T> {
  target: 'deliveries' | 'waits' | 'subscription-deliveries';
  /** Whose records they are, and the API path of the list. */
  owner: 'webhook' | 'subscription';
  path: (name: string) => string;
  /** `No deliveries yet` / `No open waits`. */
  empty: string;
  headers: string[];
  row: (item: T) => Cell[];
  maxWidths: Record<string, number>;
}

const DELIVERIES: PagedListing<DeliveryView> = {
  target: 'deliveries',
  owner: 'webhook',
  path: (name) => `/v1/webhooks/${encodeURIComponent(name)}/deliveries`,
  empty: 'No deliveries',
  headers: ['RECEIVED', 'EVENT-ID', 'STATUS', 'OUTCOME', 'WORKFLOW-ID', 'REASON'],
  row: (d) => [shortTime(d.receivedAt), d.eventId, d.httpStatus, d.outcome, d.workflowId, d.reason],
  maxWidths: { 'EVENT-ID': 40, 'WORKFLOW-ID': 60, REASON: 60 },
};

const matchText = (w: WaitView) =>
  [
    ...Object.entries(w.match).map(([path, value]) => `${path}=${JSON.stringify(value)}`),
    ...(w.if ? [`if ${w.if}`] : []),
  ].join(' ') || '(any delivery)';

const WAITS: PagedListing<WaitView> = {
  target: 'waits',
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
  },
): Promise<number> {
  const { name, namespace, limit, cursor, format } = page;
  const ns = namespace ?? DEFAULT_NAMESPACE;
  const { body } = await api.request<{ items: T[]; nextCursor: string | null }>('GET', listing.path(name), {
    query: { namespace: ns, limit, cursor },
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
  if (!Number.isInteger(limit) || limit < 1 || limit > 200)
    throw new TempohookError('usage', `--limit ${value}: use a whole number from 1 to 200.`, 400);
  return limit;
}

/** `tempohook get …` */
export async function getCommand(argv: string[], ctx: CliContext = createCliContext()): Promise<number> {
  return runReported(ctx, async () => {
    const { values, positionals } = parseCommandArgs(argv, GET_OPTIONS, 'get');
    if (values.help) {
      ctx.stdout(GET_USAGE);
      return 0;
    }
    const [what, name, ...extra] = positionals;
    const target = what ? GET_TARGETS[what] : undefined;
    if (!target)
      throw new TempohookError(
        'usage',
        `${what ? `"${what}" is not something to get` : 'get what?'}: use webhooks, webhook NAME, secrets, secret NAME, deliveries NAME, waits NAME, subscriptions, subscription NAME or subscription-deliveries NAME (see \`tempohook get --help\`)`,
        400,
      );
    if (extra.length > 0)
      throw new TempohookError('usage', `unexpected argument "${extra[0]}" (see \`tempohook get --help\`)`, 400);
    const format = outputFormat(values.output, 'get');
    const namespace = namespaceFlag(values.namespace);
    const limit = parseLimit(values.limit);
    const listing =
      target === 'deliveries'
        ? DELIVERIES
        : target === 'waits'
          ? WAITS
          : target === 'subscription-deliveries'
            ? SUBSCRIPTION_DELIVERIES
            : undefined;
    if ((limit !== undefined || values.cursor !== undefined) && !listing) {
      throw new TempohookError(
        'usage',
        '--limit and --cursor apply to `get deliveries`, `get waits` and `get subscription-deliveries` only.',
        400,
      );
    }
    const api = await createApiClient(ctx);

    if (listing) {
      if (!name) throw new TempohookError('usage', `get ${listing.target} needs the ${listing.owner} NAME.`, 400);
      return printPagedListing(ctx, api, listing as PagedListing<unknown>, {
        name,
        namespace,
        limit,
        cursor: values.cursor,
        format,
      });
    }

    if (target === 'subscription') return printSubscriptions(ctx, api, name, namespace, format);

    const plural = target === 'webhook' ? 'webhooks' : 'secrets';
    if (name) {
      const { body } = await api.request<WebhookView | SecretView>('GET', `/v1/${plural}/${encodeURIComponent(name)}`, {
        query: { namespace: namespace ?? DEFAULT_NAMESPACE },
      });
      if (format !== 'table') return printStructured(ctx, body, format);
      ctx.stdout(target === 'webhook' ? describeWebhook(api, body as WebhookView) : describeSecret(body as SecretView));
      return 0;
    }

    const { body } = await api.request<{ items: Array<WebhookView | SecretView> }>('GET', `/v1/${plural}`, {
      query: { namespace },
    });
    if (format !== 'table') return printStructured(ctx, body, format);
    if (body.items.length === 0) {
      ctx.stderr(`No ${plural} found${namespace ? ` in namespace ${namespace}` : ''}.\n`);
      return 0;
    }
    if (target === 'webhook') {
      const items = body.items as WebhookView[];
      ctx.stdout(
        formatTable(
          ['NAME', 'NAMESPACE', 'PROFILE', 'ENDPOINT', 'VERIFIED', 'LAST-DELIVERY'],
          items.map((w) => [
            w.metadata.name,
            w.metadata.namespace,
            w.spec.profile,
            w.status.url ?? w.status.endpointPath,
            w.status.verified ? 'yes' : 'no',
            shortTime(w.status.lastDeliveryAt) ?? 'never',
          ]),
          { maxWidths: { ENDPOINT: 120 } },
        ),
      );
    } else {
      const items = body.items as SecretView[];
      ctx.stdout(
        formatTable(
          ['NAME', 'NAMESPACE', 'KEYS', 'UPDATED'],
          items.map((s) => [
            s.metadata.name,
            s.metadata.namespace,
            s.status.keys.join(','),
            shortTime(s.metadata.updatedAt),
          ]),
        ),
      );
    }
    return 0;
  });
}

interface SubscriptionView {
  metadata: { name: string; namespace: string };
  /** null for settings-file subscriptions (namespace `settings`): the ingress never reads the file. */
  spec: { url: string; events?: string[]; scope?: unknown } | null;
  status: { state: string; lastDeliveryAt: string | null; consecutiveFailures: number; disabledReason: string | null };
}

/** `get subscriptions` (a table) and `get subscription NAME` (the resource as YAML, status included). */
async function printSubscriptions(
  ctx: CliContext,
  api: ApiClient,
  name: string | undefined,
  namespace: string | undefined,
  format: OutputFormat,
): Promise<number> {
  if (name) {
    const { body } = await api.request<SubscriptionView>('GET', `/v1/subscriptions/${encodeURIComponent(name)}`, {
      query: { namespace: namespace ?? DEFAULT_NAMESPACE },
    });
    return printStructured(ctx, body, format === 'json' ? 'json' : 'yaml');
  }
  const { body } = await api.request<{ items: SubscriptionView[] }>('GET', '/v1/subscriptions', {
    query: { namespace },
  });
  if (format !== 'table') return printStructured(ctx, body, format);
  if (body.items.length === 0) {
    ctx.stderr(`No subscriptions found${namespace ? ` in namespace ${namespace}` : ''}.\n`);
    return 0;
  }
  const scopeText = (scope: unknown) =>
    typeof scope === 'object' && scope !== null
      ? `workflowType=${(scope as { workflowType: string }).workflowType}`
      : typeof scope === 'string'
        ? scope
        : 'global';
  ctx.stdout(
    formatTable(
      ['NAME', 'NAMESPACE', 'URL', 'EVENTS', 'SCOPE', 'STATE', 'FAILURES', 'LAST-DELIVERY'],
      body.items.map((s) => [
        s.metadata.name,
        s.metadata.namespace,
        s.spec?.url ?? '(settings file)',
        s.spec ? (s.spec.events ?? ['*']).join(',') : null,
        s.spec ? scopeText(s.spec.scope) : 'global',
        s.status.state,
        s.status.consecutiveFailures,
        shortTime(s.status.lastDeliveryAt) ?? 'never',
      ]),
      { maxWidths: { URL: 80, EVENTS: 40 } },
    ),
  );
  return 0;
}

interface SubscriptionDeliveryView {
  id: string;
  eventId: string;
  eventType: string;
  status: string;
  attempts: number;
  lastHttpStatus: number | null;
  lastError: string | null;
  createdAt: string;
  workflow: { id: string } | null;
}

/** `get subscription-deliveries NAME`: a subscription's delivery log, newest first. */
const SUBSCRIPTION_DELIVERIES: PagedListing<SubscriptionDeliveryView> = {
  target: 'subscription-deliveries',
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

// ---------------------------------------------------------------------------------------------
// delete

const DELETE_USAGE = `Usage: tempohook delete webhook|secret|subscription NAME [NAME…] [-n NAMESPACE]

Deletes webhooks (their endpoints stop answering at once) or secrets (webhooks that reference
them then reject deliveries until the secret is applied again).

Options:
  -n, --namespace NS     namespace (default "default")
`;

const DELETE_OPTIONS = {
  namespace: { type: 'string', short: 'n' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** `tempohook delete webhook|secret NAME…` */
export async function deleteCommand(argv: string[], ctx: CliContext = createCliContext()): Promise<number> {
  return runReported(ctx, async () => {
    const { values, positionals } = parseCommandArgs(argv, DELETE_OPTIONS, 'delete');
    if (values.help) {
      ctx.stdout(DELETE_USAGE);
      return 0;
    }
    const [what, ...names] = positionals;
    const target = what ? GET_TARGETS[what] : undefined;
    if (target !== 'webhook' && target !== 'secret' && target !== 'subscription') {
      throw new TempohookError(
        'usage',
        `${what ? `cannot delete "${what}"` : 'delete what?'}: use delete webhook NAME, delete secret NAME or delete subscription NAME (see \`tempohook delete --help\`)`,
        400,
      );
    }
    if (names.length === 0) throw new TempohookError('usage', `delete ${target} needs a NAME.`, 400);
    const namespace = namespaceFlag(values.namespace) ?? DEFAULT_NAMESPACE;
    const api = await createApiClient(ctx);
    for (const name of names) {
      await api.request('DELETE', `/v1/${target}s/${encodeURIComponent(name)}`, { query: { namespace } });
      ctx.stdout(`${target}/${namespace}/${name} deleted\n`);
    }
    return 0;
  });
}
