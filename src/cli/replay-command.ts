/**
 * `tempohook replay ID`: one stored delivery through the pipeline again
 * (`POST /v1/deliveries/{id}/replay`), recorded as a new delivery linked to it.
 * `tempohook replay --webhook NAME --outcome failed --since 2h`: a bulk replay job over what the
 * search matches (`POST /v1/webhooks/{name}/replay`), followed until it finishes.
 */
import { TempohookError } from '../errors';
import type { ReplayJobView } from '../ingress/replay-routes';
import { DEFAULT_NAMESPACE } from '../resources/schemas';
import { createApiClient, createCliContext, runReported, type ApiClient, type CliContext } from './api-client';
import { HELP_OPTION, namespaceFlag, outputFormat, parseCommandArgs, printStructured, type OutputFormat } from './args';
import { DELIVERY_FILTERS } from './resource-commands';

const REPLAY_USAGE = `Usage: tempohook replay DELIVERY-ID [--new-event-id] [-n NS] [-o …]
       tempohook replay --webhook NAME --outcome O --since T … [--rate N] [--new-event-id] [--no-wait]

Runs a stored delivery through the pipeline again, after verification (it was verified when it
arrived), with the webhook as it is configured now; the replay is a new delivery whose replayOf
names the original. Its event id stays the same, so an event whose run exists answers duplicate
with that run, a failed start is started now, and a signal webhook resumes the waits still open.
A delivery whose payload is no longer kept (spec.retention.payloads) cannot be replayed.

With --webhook, every delivery of the webhook that the search flags match now is replayed in the
background by the ingress, at --rate per second (default TEMPOHOOK_REPLAY_RATE, 10), each at most
once, resuming after an ingress restart. The job id is printed and its progress followed until it
finishes (exit 0 when every delivery replayed, 1 when some could not be); --no-wait prints the
job and returns (follow it with GET /v1/webhooks/NAME/replays/ID).

Options:
      --new-event-id     a fresh event id, so a fresh workflow id: a deliberate second run
  -n, --namespace NS     namespace of the delivery's webhook (default "default")
  -o, --output FORMAT    table (default), json or yaml: json and yaml print the API's answer

Bulk replay (at least one search flag):
      --webhook NAME     replay deliveries of this webhook
      --outcome O[,O…]   started, duplicate, failed, rejected, ignored, signaled, challenge, pending
      --status CODE      the HTTP status answered (e.g. 503)
      --event-id ID      one event's deliveries
      --workflow-id ID   the deliveries that led to this workflow id
      --since T          received at or after T: an instant or a duration back from now (2h, 7d)
      --until T          received before T (same forms)
      --rate N           replays per second (0.1–1000)
      --no-wait          print the job and return
`;

const REPLAY_OPTIONS = {
  'new-event-id': { type: 'boolean' },
  webhook: { type: 'string' },
  rate: { type: 'string' },
  'no-wait': { type: 'boolean' },
  ...Object.fromEntries(Object.keys(DELIVERY_FILTERS).map((flag) => [flag, { type: 'string' }])),
  namespace: { type: 'string', short: 'n' },
  output: { type: 'string', short: 'o' },
  ...HELP_OPTION,
} as const;

/** The 202 of a replay (the delivery contract's answer plus `replayOf`). */
interface ReplayAnswer {
  deliveryId: string | null;
  replayOf: string;
  duplicate?: boolean;
  ignored?: boolean;
  reason?: string;
  workflowId?: string;
  runId?: string | null;
  signaled?: Array<{ workflowId: string; runId: string | null }>;
}

/** One line saying what the replay did. */
function describeReplay(answer: ReplayAnswer): string {
  const head = `delivery ${answer.replayOf} replayed as ${answer.deliveryId ?? '(unrecorded)'}`;
  if (answer.ignored) return `${head}: ignored (${answer.reason ?? 'filtered'})`;
  const parts: string[] = [];
  if (answer.workflowId)
    parts.push(
      `${answer.duplicate ? 'run already existed' : 'started'} ${answer.workflowId}${answer.runId ? ` (run ${answer.runId})` : ''}`,
    );
  if (answer.signaled)
    parts.push(`resumed ${answer.signaled.length} waiting run${answer.signaled.length === 1 ? '' : 's'}`);
  if (parts.length === 0) parts.push(answer.duplicate ? 'duplicate' : 'accepted');
  return `${head}: ${parts.join('; ')}`;
}

/** How often a followed bulk replay is asked for its progress. */
const FOLLOW_INTERVAL_MS = 1000;

const progressLine = (job: ReplayJobView) =>
  `replay ${job.id}: ${job.state}, ${job.done}/${job.total} done (${job.succeeded} replayed, ${job.failed} failed)`;

/** `replay --webhook NAME …`: creates the job, then follows it unless --no-wait. */
async function bulkReplay(
  ctx: CliContext,
  api: ApiClient,
  request: {
    webhook: string;
    namespace: string;
    query: Record<string, string>;
    wait: boolean;
    format: OutputFormat;
    sleep: (ms: number) => Promise<void>;
  },
): Promise<number> {
  const path = `/v1/webhooks/${encodeURIComponent(request.webhook)}`;
  const { body: created } = await api.request<ReplayJobView>('POST', `${path}/replay`, {
    query: { namespace: request.namespace, ...request.query },
  });
  if (request.format !== 'table' && !request.wait) return printStructured(ctx, created, request.format);
  if (request.format === 'table')
    ctx.stdout(
      `replay ${created.id} started: ${created.total} deliveries of ${created.namespace}/${created.webhook}\n`,
    );
  if (!request.wait) return 0;
  let job = created;
  let last = '';
  while (job.state === 'pending' || job.state === 'running') {
    await request.sleep(FOLLOW_INTERVAL_MS);
    job = (
      await api.request<ReplayJobView>('GET', `${path}/replays/${created.id}`, {
        query: { namespace: request.namespace },
      })
    ).body;
    const line = progressLine(job);
    if (request.format === 'table' && line !== last) ctx.stdout(`${line}\n`);
    last = line;
  }
  if (request.format !== 'table') printStructured(ctx, job, request.format);
  return job.state === 'completed' && job.failed === 0 ? 0 : 1;
}

/** `tempohook replay …` */
export async function replayCommand(argv: string[], ctx: CliContext = createCliContext()): Promise<number> {
  return runReported(ctx, async () => {
    const { values, positionals } = parseCommandArgs(argv, REPLAY_OPTIONS, 'replay');
    if (values.help) {
      ctx.stdout(REPLAY_USAGE);
      return 0;
    }
    const [id, ...extra] = positionals;
    const format = outputFormat(values.output, 'replay');
    const namespace = namespaceFlag(values.namespace) ?? DEFAULT_NAMESPACE;
    const search = Object.fromEntries(
      Object.entries(DELIVERY_FILTERS).flatMap(([flag, param]) => {
        const value = (values as Record<string, unknown>)[flag];
        return typeof value === 'string' ? [[param, value]] : [];
      }),
    );
    if (values.webhook !== undefined) {
      if (id !== undefined)
        throw new TempohookError('usage', 'give a DELIVERY-ID or --webhook NAME with search flags, not both.', 400);
      if (Object.keys(search).length === 0)
        throw new TempohookError(
          'usage',
          `say which deliveries to replay: --${Object.keys(DELIVERY_FILTERS).join(', --')} (e.g. --outcome failed --since 2h)`,
          400,
        );
      const api = await createApiClient(ctx);
      return bulkReplay(ctx, api, {
        webhook: values.webhook,
        namespace,
        query: {
          ...search,
          ...(values.rate !== undefined ? { rate: values.rate } : {}),
          ...(values['new-event-id'] ? { newEventId: 'true' } : {}),
        },
        wait: !values['no-wait'],
        format,
        sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      });
    }
    if (Object.keys(search).length > 0 || values.rate !== undefined || values['no-wait'])
      throw new TempohookError('usage', 'the search flags, --rate and --no-wait go with --webhook NAME.', 400);
    if (!id)
      throw new TempohookError(
        'usage',
        'replay needs a DELIVERY-ID or --webhook NAME (see `tempohook replay --help`)',
        400,
      );
    if (extra.length > 0)
      throw new TempohookError('usage', `unexpected argument "${extra[0]}" (see \`tempohook replay --help\`)`, 400);
    const api = await createApiClient(ctx);
    const { body } = await api.request<ReplayAnswer>('POST', `/v1/deliveries/${encodeURIComponent(id)}/replay`, {
      query: { namespace, ...(values['new-event-id'] ? { newEventId: 'true' } : {}) },
    });
    if (format !== 'table') return printStructured(ctx, body, format);
    ctx.stdout(`${describeReplay(body)}\n`);
    return 0;
  });
}
