/**
 * `tempohook send NAME`: signs a test delivery exactly as the webhook's profile expects and
 * posts it to the webhook's endpoint, so a setup can be checked without the real provider.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { TempohookError } from '../errors';
import { DEFAULT_NAMESPACE } from '../resources/schemas';
import { webhookUrl, type WebhookView } from '../resources/kinds/webhook';
import { getProfile, withTwilioBodyHash } from '../verify';
import { createApiClient, createCliContext, fetchOrExplain, runReported, type CliContext } from './api-client';
import { HELP_OPTION, namespaceFlag, parseCommandArgs } from './args';

const SEND_USAGE = `Usage: tempohook send NAME (--secret S | --secret-env VAR) [--data JSON | --data @FILE] [options]

Signs a delivery as webhook NAME's profile expects (the same code the ingress verifies with)
and posts it to the webhook's endpoint. Prints the HTTP status and the answer; exits 0 on 2xx.

Options:
      --secret S          the signing secret (for SendGrid/Discord: the private key)
      --secret-env VAR    read the secret from environment variable VAR (keeps it out of shell history)
      --data JSON         the JSON body; @FILE reads a file, @- standard input (default {})
      --event-id ID       the event id (default: a random UUID)
      --event-type T      the event type: X-GitHub-Event for github (default push), X-Event-Type for generic
  -n, --namespace NS      namespace of the webhook (default "default")
`;

const SEND_OPTIONS = {
  secret: { type: 'string' },
  'secret-env': { type: 'string' },
  data: { type: 'string' },
  'event-id': { type: 'string' },
  'event-type': { type: 'string' },
  namespace: { type: 'string', short: 'n' },
  ...HELP_OPTION,
} as const;

function secretFrom(ctx: CliContext, secret: string | undefined, secretEnv: string | undefined): string {
  if (secret !== undefined && secretEnv !== undefined)
    throw new TempohookError('usage', 'give --secret or --secret-env, not both.', 400);
  if (secretEnv !== undefined) {
    const value = ctx.env[secretEnv];
    if (value === undefined || value === '')
      throw new TempohookError(
        'env_var_missing',
        `environment variable ${secretEnv} (from --secret-env) is not set.`,
        400,
      );
    return value;
  }
  if (secret === undefined || secret === '')
    throw new TempohookError(
      'usage',
      'send needs the signing secret: --secret S, or --secret-env VAR to read it from the environment.',
      400,
    );
  return secret;
}

/** The body bytes exactly as given (never re-serialized: the signature covers these bytes). */
async function bodyFrom(ctx: CliContext, data: string | undefined): Promise<Buffer> {
  let text = data ?? '{}';
  let origin = '--data';
  if (text.startsWith('@')) {
    const file = text.slice(1);
    origin = file === '-' ? 'standard input' : file;
    if (file === '-') text = await ctx.readStdin();
    else {
      try {
        text = await readFile(resolve(ctx.cwd, file), 'utf8');
      } catch {
        throw new TempohookError('file_not_found', `--data @${file}: cannot read the file.`, 400);
      }
    }
  }
  try {
    JSON.parse(text);
  } catch (err) {
    throw new TempohookError('invalid_json', `${origin} is not valid JSON: ${(err as Error).message}`, 400);
  }
  return Buffer.from(text, 'utf8');
}

/** Headers naming the event type, where the profile reads one from a header. */
function eventTypeHeaders(ctx: CliContext, profile: string, eventType: string | undefined): Record<string, string> {
  if (profile === 'github') return { 'x-github-event': eventType ?? 'push' };
  if (profile === 'generic') return eventType === undefined ? {} : { 'x-event-type': eventType };
  if (eventType !== undefined)
    ctx.stderr(`note: the ${profile} profile reads the event type from the body; --event-type is ignored.\n`);
  return {};
}

function statusLine(res: Response): string {
  return `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`;
}

/** `tempohook send NAME …` */
export async function sendCommand(argv: string[], ctx: CliContext = createCliContext()): Promise<number> {
  return runReported(ctx, async () => {
    const { values, positionals } = parseCommandArgs(argv, SEND_OPTIONS, 'send');
    if (values.help) {
      ctx.stdout(SEND_USAGE);
      return 0;
    }
    const [name, ...extra] = positionals;
    if (!name) throw new TempohookError('usage', 'send needs the webhook NAME (see `tempohook send --help`).', 400);
    if (extra.length > 0)
      throw new TempohookError(
        'usage',
        `unexpected argument "${extra[0]}"; the body goes in --data (see \`tempohook send --help\`)`,
        400,
      );
    const secret = secretFrom(ctx, values.secret, values['secret-env']);
    const rawBody = await bodyFrom(ctx, values.data);
    const namespace = namespaceFlag(values.namespace) ?? DEFAULT_NAMESPACE;
    const api = await createApiClient(ctx);

    const { body: webhook } = await api.request<WebhookView>('GET', `/v1/webhooks/${encodeURIComponent(name)}`, {
      query: { namespace },
    });
    const profile = getProfile(webhook.spec.profile);
    if (!profile)
      throw new TempohookError(
        'unknown_profile',
        `webhook ${namespace}/${name} uses profile "${webhook.spec.profile}", which this tempohook does not know; update the CLI.`,
        400,
      );

    let postUrl = `${api.baseUrl}${webhook.status.endpointPath}`;
    // The ingress rebuilds the URL from its public URL when it has one: Twilio signs that.
    let signedUrl = webhookUrl(webhook, api);
    if (profile.name === 'twilio') {
      postUrl = withTwilioBodyHash(postUrl, rawBody);
      signedUrl = withTwilioBodyHash(signedUrl, rawBody);
    }
    const eventId = values['event-id'] ?? randomUUID();
    const timestamp = Math.floor(Date.now() / 1000);
    const signed = profile.sign(secret, { rawBody, eventId, timestamp, url: signedUrl });
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      ...Object.fromEntries(Object.entries(signed).map(([key, value]) => [key.toLowerCase(), value])),
      ...eventTypeHeaders(ctx, profile.name, values['event-type']),
    };

    ctx.stdout(`POST ${postUrl} (${profile.name}, event id ${eventId})\n`);
    const res = await fetchOrExplain(ctx, api.baseUrl, postUrl, { method: 'POST', headers, body: rawBody });
    const text = await res.text();
    ctx.stdout(`${statusLine(res)}\n`);
    let shown = text;
    try {
      shown = JSON.stringify(JSON.parse(text), null, 2);
    } catch {
      // Not JSON (a handshake echo, a proxy's page): print it as it came.
    }
    if (shown !== '') ctx.stdout(`${shown}\n`);
    return res.ok ? 0 : 1;
  });
}
