/**
 * `tempohook replay ID`: one stored delivery through the pipeline again
 * (`POST /v1/deliveries/{id}/replay`), recorded as a new delivery linked to it.
 */
import { TempohookError } from '../errors';
import { DEFAULT_NAMESPACE } from '../resources/schemas';
import { createApiClient, createCliContext, runReported, type CliContext } from './api-client';
import { HELP_OPTION, namespaceFlag, outputFormat, parseCommandArgs, printStructured } from './args';

const REPLAY_USAGE = `Usage: tempohook replay DELIVERY-ID [--new-event-id] [-n NS] [-o …]

Runs a stored delivery through the pipeline again, after verification (it was verified when it
arrived), with the webhook as it is configured now; the replay is a new delivery whose replayOf
names the original. Its event id stays the same, so an event whose run exists answers duplicate
with that run, a failed start is started now, and a signal webhook resumes the waits still open.
A delivery whose payload is no longer kept (spec.retention.payloads) cannot be replayed.

Options:
      --new-event-id     a fresh event id, so a fresh workflow id: a deliberate second run
  -n, --namespace NS     namespace of the delivery's webhook (default "default")
  -o, --output FORMAT    table (default), json or yaml: json and yaml print the API's answer
`;

const REPLAY_OPTIONS = {
  'new-event-id': { type: 'boolean' },
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

/** `tempohook replay …` */
export async function replayCommand(argv: string[], ctx: CliContext = createCliContext()): Promise<number> {
  return runReported(ctx, async () => {
    const { values, positionals } = parseCommandArgs(argv, REPLAY_OPTIONS, 'replay');
    if (values.help) {
      ctx.stdout(REPLAY_USAGE);
      return 0;
    }
    const [id, ...extra] = positionals;
    if (!id) throw new TempohookError('usage', 'replay needs a DELIVERY-ID (see `tempohook replay --help`)', 400);
    if (extra.length > 0)
      throw new TempohookError('usage', `unexpected argument "${extra[0]}" (see \`tempohook replay --help\`)`, 400);
    const format = outputFormat(values.output, 'replay');
    const namespace = namespaceFlag(values.namespace) ?? DEFAULT_NAMESPACE;
    const api = await createApiClient(ctx);
    const { body } = await api.request<ReplayAnswer>('POST', `/v1/deliveries/${encodeURIComponent(id)}/replay`, {
      query: { namespace, ...(values['new-event-id'] ? { newEventId: 'true' } : {}) },
    });
    if (format !== 'table') return printStructured(ctx, body, format);
    ctx.stdout(`${describeReplay(body)}\n`);
    return 0;
  });
}
