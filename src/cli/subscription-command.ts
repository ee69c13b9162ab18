/**
 * `tempohook subscription test|enable|redeliver`: what a Subscription has beyond apply, get and
 * delete, through the management API (`POST /v1/subscriptions/{name}/…`).
 */
import { TempohookError } from '../errors';
import { DEFAULT_NAMESPACE } from '../resources/schemas';
import { createApiClient, createCliContext, runReported, type ApiClient, type CliContext } from './api-client';
import { HELP_OPTION, namespaceFlag, outputFormat, parseCommandArgs, printStructured, type OutputFormat } from './args';

const COMMON_OPTIONS = `Options:
  -n, --namespace NS     namespace of the subscription (default "default")
  -o, --output FORMAT    table (default), json or yaml: json and yaml print the API's answer
`;

interface Subcommand {
  /** `NAME`, `NAME DELIVERY-ID`. */
  operands: string[];
  summary: string;
  help: string;
  run: (call: { api: ApiClient; path: string; namespace: string; operands: string[] }) => Promise<unknown>;
  print: (ctx: CliContext, answer: never, call: { namespace: string; operands: string[] }) => number;
}

interface TestAnswer {
  delivered: boolean;
  deliveryId: string;
  eventId: string;
  httpStatus: number;
  responseBody: string | null;
  durationMs: number;
}
interface RedeliverAnswer {
  deliveryId: string;
  eventId: string;
  workflowId: string;
  taskQueue: string;
}

const SUBCOMMANDS: Record<string, Subcommand> = {
  test: {
    operands: ['NAME'],
    summary: 'send a signed test event to the subscription now; exits 0 if the receiver answered 2xx',
    help: `Sends a signed "tempohook.test" event to the subscription's URL at once (no retries) and prints
the receiver's answer. The attempt is recorded in the delivery log (tempohook get
subscription-deliveries NAME). Exits 0 when the receiver answered 2xx, 1 otherwise.
`,
    run: async ({ api, path, namespace }) =>
      (await api.request<TestAnswer>('POST', `${path}/test`, { query: { namespace } })).body,
    print: (ctx, answer: TestAnswer) => {
      const verdict = answer.delivered ? 'delivered' : 'not delivered';
      ctx.stdout(
        `${verdict}: the receiver answered HTTP ${answer.httpStatus} in ${answer.durationMs} ms (event ${answer.eventId}, delivery ${answer.deliveryId})\n`,
      );
      if (!answer.delivered && answer.responseBody) ctx.stdout(`${answer.responseBody}\n`);
      return answer.delivered ? 0 : 1;
    },
  },
  enable: {
    operands: ['NAME'],
    summary: 'resume a subscription that was disabled after failing deliveries',
    help: `Re-enables a subscription that tempohook disabled after consecutive failed deliveries, and
resets its failure count. Events from now on are delivered again; the ones missed are not.
`,
    run: async ({ api, path, namespace }) =>
      (await api.request('POST', `${path}/enable`, { query: { namespace } })).body,
    print: (ctx, _answer, { namespace, operands }) => {
      ctx.stdout(`subscription/${namespace}/${operands[0]} enabled\n`);
      return 0;
    },
  },
  redeliver: {
    operands: ['NAME', 'DELIVERY-ID'],
    summary: 'deliver one logged event again, with retries (ids: get subscription-deliveries NAME)',
    help: `Delivers the event of one logged delivery again, as a new delivery with the subscription's
timeout and retry policy (run by a worker on the task queue of the workflow that emitted it).
Delivery ids are in \`tempohook get subscription-deliveries NAME\`. Test events are not redelivered.
`,
    run: async ({ api, path, namespace, operands }) =>
      (
        await api.request<RedeliverAnswer>('POST', `${path}/deliveries/${encodeURIComponent(operands[1]!)}/redeliver`, {
          query: { namespace },
        })
      ).body,
    print: (ctx, answer: RedeliverAnswer) => {
      ctx.stdout(
        `redelivery started: delivery ${answer.deliveryId} of event ${answer.eventId} (workflow ${answer.workflowId} on task queue ${answer.taskQueue})\n`,
      );
      return 0;
    },
  },
};

const usageOf = (name: string, sub: Subcommand) =>
  `tempohook subscription ${name} ${sub.operands.join(' ')} [-n NS] [-o …]`;

export const SUBSCRIPTION_USAGE = `Usage:
${Object.entries(SUBCOMMANDS)
  .map(([name, sub]) => `  ${usageOf(name, sub)}\n      ${sub.summary}\n`)
  .join('')}
${COMMON_OPTIONS}
\`tempohook subscription SUBCOMMAND --help\` says more about each.
`;

const OPTIONS = {
  namespace: { type: 'string', short: 'n' },
  output: { type: 'string', short: 'o' },
  ...HELP_OPTION,
} as const;

/** `tempohook subscription …` */
export async function subscriptionCommand(argv: string[], ctx: CliContext = createCliContext()): Promise<number> {
  return runReported(ctx, async () => {
    const { values, positionals } = parseCommandArgs(argv, OPTIONS, 'subscription');
    const [subName, ...operands] = positionals;
    const sub = subName ? SUBCOMMANDS[subName] : undefined;
    if (values.help) {
      ctx.stdout(sub ? `Usage: ${usageOf(subName!, sub)}\n\n${sub.help}\n${COMMON_OPTIONS}` : SUBSCRIPTION_USAGE);
      return 0;
    }
    if (!sub)
      throw new TempohookError(
        'usage',
        `${subName ? `"${subName}" is not a subscription subcommand` : 'subscription what?'}: use ${Object.keys(SUBCOMMANDS).join(', ')} (see \`tempohook subscription --help\`)`,
        400,
      );
    const command = `subscription ${subName}`;
    if (operands.length !== sub.operands.length)
      throw new TempohookError(
        'usage',
        `${command} takes ${sub.operands.join(' ')}${operands.length > sub.operands.length ? `; unexpected argument "${operands[sub.operands.length]}"` : ''} (see \`tempohook ${command} --help\`)`,
        400,
      );
    const format: OutputFormat = outputFormat(values.output, command);
    const namespace = namespaceFlag(values.namespace) ?? DEFAULT_NAMESPACE;
    const api = await createApiClient(ctx);
    const path = `/v1/subscriptions/${encodeURIComponent(operands[0]!)}`;
    const answer = await sub.run({ api, path, namespace, operands });
    if (format !== 'table') {
      printStructured(ctx, answer, format);
      return subName === 'test' && !(answer as TestAnswer).delivered ? 1 : 0;
    }
    return sub.print(ctx, answer as never, { namespace, operands });
  });
}
