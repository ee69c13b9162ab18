/** Runs CLI commands in-process with an injected environment, stdin and captured output. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCliContext, type CliContext } from '../../src/cli/api-client';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  /** How many HTTP requests the command made. */
  requests: number;
}

export type CliCommand = (argv: string[], ctx?: CliContext) => Promise<number>;

/** A working directory with no `.tempohook/` in it, so no dev admin token is picked up by accident. */
export const emptyCwd = mkdtempSync(join(tmpdir(), 'tempohook-cli-'));

/** Everything any command printed in this process, to check that no secret ever was. */
export const allOutput: string[] = [];

export async function runCli(
  command: CliCommand,
  argv: string[],
  env: Record<string, string | undefined>,
  options: { stdin?: string; cwd?: string } = {},
): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  let requests = 0;
  const ctx = createCliContext({
    env,
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    readStdin: async () => options.stdin ?? '',
    fetch: (input, init) => {
      requests++;
      return fetch(input, init);
    },
    cwd: options.cwd ?? emptyCwd,
  });
  const code = await command(argv, ctx);
  allOutput.push(stdout, stderr);
  return { code, stdout, stderr, requests };
}
