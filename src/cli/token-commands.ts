/**
 * Access from the command line: `tempohook create token`, `get tokens|token NAME`, `delete token
 * NAME` (revoke), `get audit` and `whoami`, through `/v1/tokens`, `/v1/audit` and `/v1/whoami`.
 * A token's value is printed once, by `create token`, and never again.
 */
import { TempohookError } from '../errors';
import { shortTime } from '../resources/kinds';
import type { AuditEntryView, TokenView, WhoamiView } from '../ingress/token-routes';
import { MAX_PAGE_SIZE, type Page } from '../store/types';
import { createApiClient, createCliContext, runReported, type CliContext } from './api-client';
import {
  commandFlags,
  HELP_OPTION,
  namespaceFlag,
  outputFormat,
  parseCommandArgs,
  printStructured,
  type OutputFormat,
} from './args';
import { formatTable } from './table';

/** The words `get` and `delete` hand to this module. */
export const TOKEN_WORDS = ['tokens', 'token'] as const;
export const AUDIT_WORDS = ['audit'] as const;

/** `get --help` lines for tokens and the audit log. */
export const TOKEN_GET_USAGE = [
  ['tempohook get tokens [-o …]', 'API tokens: role, namespaces, expiry (never their value)'],
  ['tempohook get token NAME [-o …]', 'one API token'],
  ['tempohook get audit [--token NAME] [--since T] …', 'the audit log of changing calls, newest first'],
] as const;

const namespacesText = (namespaces: readonly string[]) => (namespaces[0] === '*' ? '* (all)' : namespaces.join(','));

function printTokens(ctx: CliContext, items: TokenView[]): void {
  ctx.stdout(
    formatTable(
      ['NAME', 'ROLE', 'NAMESPACES', 'EXPIRES', 'PREFIX', 'CREATED', 'CREATED-BY'],
      items.map((t) => [
        t.name,
        t.role,
        namespacesText(t.namespaces),
        t.expired ? `expired ${shortTime(t.expiresAt)}` : (shortTime(t.expiresAt) ?? 'never'),
        t.prefix,
        shortTime(t.createdAt),
        t.createdBy,
      ]),
      { maxWidths: { NAMESPACES: 60 } },
    ),
  );
}

/** `get tokens` / `get token NAME`. */
export async function getTokens(
  ctx: CliContext,
  request: { name: string | undefined; format: OutputFormat },
): Promise<number> {
  const api = await createApiClient(ctx);
  if (request.name) {
    const { body } = await api.request<TokenView>('GET', `/v1/tokens/${encodeURIComponent(request.name)}`);
    if (request.format !== 'table') return printStructured(ctx, body, request.format);
    printTokens(ctx, [body]);
    return 0;
  }
  const { body } = await api.request<{ items: TokenView[] }>('GET', '/v1/tokens');
  if (request.format !== 'table') return printStructured(ctx, body, request.format);
  if (body.items.length === 0) ctx.stderr('No API tokens (create one with `tempohook create token NAME --role …`).\n');
  else printTokens(ctx, body.items);
  return 0;
}

/** `get audit`'s flags and the query parameters they set. */
export const AUDIT_FILTERS = { token: 'token', since: 'since', until: 'until' } as const;

/** `get audit`: one page of the audit log, and the command for the next. */
export async function getAudit(
  ctx: CliContext,
  request: {
    namespace: string | undefined;
    limit: number | undefined;
    cursor: string | undefined;
    format: OutputFormat;
    filters: Record<string, string>;
  },
): Promise<number> {
  const { namespace, limit, cursor, format, filters } = request;
  if (limit !== undefined && (limit < 1 || limit > MAX_PAGE_SIZE))
    throw new TempohookError('usage', `--limit ${limit}: use a whole number from 1 to ${MAX_PAGE_SIZE}.`, 400);
  const api = await createApiClient(ctx);
  const { body } = await api.request<Page<AuditEntryView>>('GET', '/v1/audit', {
    query: { namespace, limit, cursor, ...filters },
  });
  if (format !== 'table') return printStructured(ctx, body, format);
  if (body.items.length === 0) {
    ctx.stderr(`No audit entries${cursor ? ' after this cursor' : ''}.\n`);
    return 0;
  }
  ctx.stdout(
    formatTable(
      ['AT', 'TOKEN', 'METHOD', 'ROUTE', 'RESOURCE', 'NAMESPACE', 'STATUS', 'REQUEST-ID'],
      body.items.map((e) => [
        shortTime(e.at),
        e.token,
        e.method,
        e.route,
        e.resource,
        e.namespace,
        e.status,
        e.requestId,
      ]),
      { maxWidths: { ROUTE: 60, RESOURCE: 60 } },
    ),
  );
  if (body.nextCursor) {
    const again = [
      'tempohook get audit',
      ...(namespace ? [`-n ${namespace}`] : []),
      ...Object.entries(filters).map(([flag, value]) => `--${flag} ${value}`),
      ...(limit ? [`--limit ${limit}`] : []),
      `--cursor ${body.nextCursor}`,
    ];
    ctx.stdout(`\nMore: ${again.join(' ')}\n`);
  }
  return 0;
}

/** `delete token NAME…`: revokes them; every replica refuses them from the next request on. */
export async function deleteTokens(ctx: CliContext, names: string[]): Promise<number> {
  if (names.length === 0) throw new TempohookError('usage', 'delete token needs a NAME.', 400);
  const api = await createApiClient(ctx);
  for (const name of names) {
    await api.request('DELETE', `/v1/tokens/${encodeURIComponent(name)}`);
    ctx.stdout(`token/${name} revoked\n`);
  }
  return 0;
}

const CREATE_USAGE = `Usage: tempohook create token NAME --role read|operate|admin (-n NS [-n NS…] | --all-namespaces)
                             [--expires DURATION] [-o json|yaml]

Creates an API token for the management API and prints its value once: store it now (a secret
manager, a CI variable); tempohook keeps only its hash. Use it as TEMPOHOOK_TOKEN with the CLI, as
"Authorization: Bearer <token>" with the API, or to sign in to the console.

Roles:
  read      get and list resources, delivery logs and payloads, waits
  operate   read, and replay deliveries, test, redeliver and enable subscriptions
  admin     operate, and apply and delete resources; with --all-namespaces also tokens and the audit log

Options:
  -n, --namespace NS     a namespace the token reaches (repeatable)
      --all-namespaces   every namespace
      --role ROLE        read, operate or admin
      --expires D        expires after this long (30d, 12h); default: never
  -o, --output FORMAT    json or yaml: print the API's answer (it holds the value too)
`;

const CREATE_OPTIONS = {
  namespace: { type: 'string', short: 'n', multiple: true },
  'all-namespaces': { type: 'boolean' },
  role: { type: 'string' },
  expires: { type: 'string' },
  output: { type: 'string', short: 'o' },
  ...HELP_OPTION,
} as const;

/** `tempohook create token NAME …` */
export async function createCommand(argv: string[], ctx: CliContext = createCliContext()): Promise<number> {
  return runReported(ctx, async () => {
    const { values, positionals } = parseCommandArgs(argv, CREATE_OPTIONS, 'create');
    if (values.help) {
      ctx.stdout(CREATE_USAGE);
      return 0;
    }
    const [what, name, ...extra] = positionals;
    if (!what || !(TOKEN_WORDS as readonly string[]).includes(what))
      throw new TempohookError(
        'usage',
        `${what ? `cannot create "${what}"` : 'create what?'}: use create token NAME (resources are created with \`tempohook apply\`)`,
        400,
      );
    if (!name) throw new TempohookError('usage', 'create token needs a NAME.', 400);
    if (extra.length > 0)
      throw new TempohookError('usage', `unexpected argument "${extra[0]}" (see \`tempohook create --help\`)`, 400);
    if (!values.role) throw new TempohookError('usage', 'create token needs --role read, operate or admin.', 400);
    const namespaces = (values.namespace ?? []).map((ns) => namespaceFlag(ns)!);
    if (Boolean(values['all-namespaces']) === namespaces.length > 0)
      throw new TempohookError(
        'usage',
        'say which namespaces the token reaches: -n NS (repeatable) or --all-namespaces.',
        400,
      );
    const format = outputFormat(values.output, 'create');
    const api = await createApiClient(ctx);
    const { body } = await api.request<TokenView & { token: string }>('POST', '/v1/tokens', {
      body: {
        name,
        role: values.role,
        namespaces: values['all-namespaces'] ? ['*'] : namespaces,
        ...(values.expires !== undefined ? { expiresIn: values.expires } : {}),
      },
    });
    if (format !== 'table') return printStructured(ctx, body, format);
    ctx.stderr(
      `token/${body.name} created: role ${body.role}, namespaces ${namespacesText(body.namespaces)}, expires ${body.expiresAt ?? 'never'}.\n` +
        'Its value is shown this once; tempohook keeps only a hash:\n',
    );
    ctx.stdout(`${body.token}\n`);
    return 0;
  });
}

const WHOAMI_USAGE = `Usage: tempohook whoami [-o json|yaml]

Prints who the CLI's token (TEMPOHOOK_TOKEN, else TEMPOHOOK_ADMIN_TOKEN) is to the ingress: its
name ("admin" for TEMPOHOOK_ADMIN_TOKEN), role, namespaces and expiry.
`;

/** `tempohook whoami` */
export async function whoamiCommand(argv: string[], ctx: CliContext = createCliContext()): Promise<number> {
  return runReported(ctx, async () => {
    const values = commandFlags(
      ctx,
      argv,
      { output: { type: 'string', short: 'o' }, ...HELP_OPTION } as const,
      'whoami',
      WHOAMI_USAGE,
    );
    if (!values) return 0;
    const format = outputFormat(values.output, 'whoami');
    const api = await createApiClient(ctx);
    const { body } = await api.request<WhoamiView>('GET', '/v1/whoami');
    if (format !== 'table') return printStructured(ctx, body, format);
    ctx.stdout(
      `name:        ${body.name}\nrole:        ${body.role}\nnamespaces:  ${namespacesText(body.namespaces)}\nexpires:     ${body.expiresAt ?? 'never'}\n`,
    );
    return 0;
  });
}

/** Flags of `get` that mean nothing for tokens or the audit log. */
const DELIVERY_ONLY_FLAGS = ['webhook', 'outcome', 'status', 'event-id', 'workflow-id'];

/** `get tokens|token NAME|audit`, with the flags `get` parsed. */
export async function getAccessListing(
  ctx: CliContext,
  what: string,
  operands: string[],
  values: Record<string, unknown>,
): Promise<number> {
  const flag = (name: string) => (typeof values[name] === 'string' ? values[name] : undefined);
  const format = outputFormat(flag('output'), 'get');
  const misplaced = DELIVERY_ONLY_FLAGS.find((name) => values[name] !== undefined);
  if (misplaced)
    throw new TempohookError(
      'usage',
      `--${misplaced} applies to \`get deliveries\` only (see \`tempohook get --help\`).`,
      400,
    );
  if ((AUDIT_WORDS as readonly string[]).includes(what)) {
    if (operands.length > 0)
      throw new TempohookError('usage', `unexpected argument "${operands[0]}" (see \`tempohook get --help\`)`, 400);
    const limit = flag('limit') === undefined ? undefined : Number(flag('limit'));
    if (limit !== undefined && !Number.isInteger(limit))
      throw new TempohookError(
        'usage',
        `--limit ${flag('limit')}: use a whole number from 1 to ${MAX_PAGE_SIZE}.`,
        400,
      );
    const filters = Object.fromEntries(
      Object.keys(AUDIT_FILTERS).flatMap((name) => (flag(name) === undefined ? [] : [[name, flag(name)!]])),
    );
    return getAudit(ctx, {
      namespace: namespaceFlag(flag('namespace')),
      limit,
      cursor: flag('cursor'),
      format,
      filters,
    });
  }
  const stray = ['namespace', 'limit', 'cursor', ...Object.keys(AUDIT_FILTERS)].find(
    (name) => values[name] !== undefined,
  );
  if (stray)
    throw new TempohookError(
      'usage',
      `--${stray} does not apply to tokens: they belong to no namespace and are listed whole.`,
      400,
    );
  if (operands.length > 1)
    throw new TempohookError('usage', `unexpected argument "${operands[1]}" (see \`tempohook get --help\`)`, 400);
  return getTokens(ctx, { name: operands[0], format });
}
