#!/usr/bin/env node
/**
 * The `tempohook` command. Process commands (dev, ingress, worker) run tempohook itself;
 * resource commands (apply, get, delete, send) talk to a running ingress's management API.
 */
import { TempohookError } from '../errors';

const USAGE = `tempohook — webhooks in, durable Temporal workflows out

Processes:
  tempohook dev                      Temporal dev server + store + example worker + ingress (what npm start runs)
  tempohook ingress                  the webhook ingress (production; stateless)
  tempohook worker [--task-queue Q]  the example worker (weeklyReport on tempohook-examples)

Resources (TEMPOHOOK_URL, default http://127.0.0.1:8080; TEMPOHOOK_ADMIN_TOKEN):
  tempohook apply -f FILE.yaml                 create or update Secrets and Webhooks (one or many documents)
  tempohook get webhooks|secrets               list
  tempohook get webhook NAME                   one webhook with its status and endpoint
  tempohook get deliveries NAME [--limit N]    a webhook's delivery history, newest first
  tempohook get waits NAME [--limit N]         runs waiting on a webhook (waitForWebhook), oldest first
  tempohook delete webhook|secret NAME
  tempohook send NAME --secret S --data JSON [--event-id ID]
                                               sign a test delivery as the webhook's profile expects, and post it
Common flags: -n/--namespace NS (default "default"), -o/--output table|json|yaml
`;

type Command = (argv: string[]) => Promise<number>;

/** Commands load lazily, so `tempohook get` does not pay for the worker's native bridge. */
const commands: Record<string, () => Command> = {
  dev: () => (require('./dev-command') as typeof import('./dev-command')).devCommand,
  ingress: () => (require('./ingress-command') as typeof import('./ingress-command')).ingressCommand,
  worker: () => (require('./worker-command') as typeof import('./worker-command')).workerCommand,
  apply: () => (require('./resource-commands') as typeof import('./resource-commands')).applyCommand,
  get: () => (require('./resource-commands') as typeof import('./resource-commands')).getCommand,
  delete: () => (require('./resource-commands') as typeof import('./resource-commands')).deleteCommand,
  send: () => (require('./send-command') as typeof import('./send-command')).sendCommand,
};

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(USAGE);
    return name ? 0 : 1;
  }
  const load = commands[name];
  if (!load) {
    process.stderr.write(`Unknown command "${name}".\n\n${USAGE}`);
    return 2;
  }
  try {
    return await load()(rest);
  } catch (err) {
    if (err instanceof TempohookError) {
      process.stderr.write(`error [${err.code}]: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`${(err as Error)?.stack ?? String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
