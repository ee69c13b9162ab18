#!/usr/bin/env node
/**
 * The `tempohook` command. Process commands (dev, ingress, worker) run tempohook itself;
 * resource commands (apply, get, delete, send, subscription) talk to a running ingress's
 * management API. Every command takes `--help`; a usage mistake is one line on stderr and exit 2.
 */
import { TempohookError } from '../errors';

export const USAGE = `tempohook — webhooks in, durable Temporal workflows out

Processes:
  tempohook dev                      Temporal dev server + store + example worker + ingress (what npm start runs)
  tempohook ingress                  the webhook ingress (production; stateless)
  tempohook worker [--task-queue Q]  the example worker (weeklyReport on tempohook-examples)

Resources (TEMPOHOOK_URL, default http://127.0.0.1:8080; TEMPOHOOK_TOKEN, else TEMPOHOOK_ADMIN_TOKEN):
  tempohook apply -f FILE.yaml                 create or update Secrets, Webhooks and Subscriptions
  tempohook get KIND [NAME]                    webhooks, secrets, subscriptions; one with its status
  tempohook get deliveries NAME                a webhook's delivery history, newest first (--outcome, --since … search it)
  tempohook get waits NAME                     runs waiting on a webhook (waitForWebhook), oldest first
  tempohook get subscription-deliveries NAME   a subscription's notification deliveries
  tempohook get delivery ID                    one delivery: its run (Temporal UI link), kept body and headers
  tempohook replay ID                          run a stored delivery through the pipeline again
  tempohook delete KIND NAME                   delete a webhook, secret or subscription
  tempohook send NAME --secret S --data JSON   sign a test delivery as the webhook's profile expects, and post it
  tempohook subscription test NAME             send a signed test event to a subscription now
  tempohook subscription enable NAME           resume a subscription disabled after failures
  tempohook subscription redeliver NAME ID     deliver a logged event again

Access:
  tempohook create token NAME --role R -n NS   an API token (read, operate, admin) for some namespaces; shown once
  tempohook get tokens                         API tokens (never their value); delete token NAME revokes one
  tempohook get audit [--token NAME]           who changed what, newest first
  tempohook whoami                             who the CLI's token is: name, role, namespaces, expiry

Common flags: -n/--namespace NS (default "default"), -o/--output table|json|yaml
  tempohook COMMAND --help   what a command takes
  tempohook --version        the version of tempohook
`;

export type Command = (argv: string[]) => Promise<number>;

/** Commands load lazily, so `tempohook get` does not pay for the worker's native bridge. */
export const commands: Record<string, () => Command> = {
  dev: () => (require('./dev-command') as typeof import('./dev-command')).devCommand,
  ingress: () => (require('./ingress-command') as typeof import('./ingress-command')).ingressCommand,
  worker: () => (require('./worker-command') as typeof import('./worker-command')).workerCommand,
  apply: () => (require('./resource-commands') as typeof import('./resource-commands')).applyCommand,
  get: () => (require('./resource-commands') as typeof import('./resource-commands')).getCommand,
  delete: () => (require('./resource-commands') as typeof import('./resource-commands')).deleteCommand,
  send: () => (require('./send-command') as typeof import('./send-command')).sendCommand,
  replay: () => (require('./replay-command') as typeof import('./replay-command')).replayCommand,
  create: () => (require('./token-commands') as typeof import('./token-commands')).createCommand,
  whoami: () => (require('./token-commands') as typeof import('./token-commands')).whoamiCommand,
  subscription: () =>
    (require('./subscription-command') as typeof import('./subscription-command')).subscriptionCommand,
};

/** This package's version (package.json is two folders up from both src/cli and dist/cli). */
export function tempohookVersion(): string {
  return (require('../../package.json') as { version: string }).version;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h') {
    process.stdout.write(USAGE);
    return name ? 0 : 2;
  }
  if (name === '--version' || name === '-V' || name === 'version') {
    process.stdout.write(`tempohook ${tempohookVersion()}\n`);
    return 0;
  }
  // `tempohook help get` is `tempohook get --help`.
  if (name === 'help') return rest[0] ? main([rest[0], '--help']) : main(['--help']);
  const load = commands[name];
  if (!load) {
    const what = name.startsWith('-') ? `unknown flag "${name}"` : `unknown command "${name}"`;
    process.stderr.write(`error [usage]: ${what} (see \`tempohook --help\`)\n`);
    return 2;
  }
  try {
    return await load()(rest);
  } catch (err) {
    if (err instanceof TempohookError) {
      process.stderr.write(`error [${err.code}]: ${err.message}\n`);
      return err.code === 'usage' ? 2 : 1;
    }
    // An unexpected failure (Temporal unreachable, a bug): the message, and the stack only on request.
    const error = err as Error;
    process.stderr.write(`error: ${error?.message ?? String(err)}\n`);
    if (process.env.TEMPOHOOK_LOG_LEVEL === 'debug') process.stderr.write(`${error?.stack ?? ''}\n`);
    else process.stderr.write('(TEMPOHOOK_LOG_LEVEL=debug prints the stack)\n');
    return 1;
  }
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
