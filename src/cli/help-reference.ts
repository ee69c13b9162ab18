/**
 * The CLI reference in docs/cli.md, made from the commands' own `--help`, so the two cannot
 * drift apart: `npx tsx scripts/cli-reference.ts` rewrites it, and test/cli/help.test.ts fails
 * when it differs.
 */
import { createCliContext } from './api-client';
import { commands, USAGE } from './main';

/** Every command, and the subcommands with a help of their own, as typed after `tempohook`. */
export const HELP_PAGES: readonly string[][] = [
  ['dev'],
  ['ingress'],
  ['worker'],
  ['apply'],
  ['get'],
  ['delete'],
  ['send'],
  ['replay'],
  ['subscription'],
  ['subscription', 'test'],
  ['subscription', 'enable'],
  ['subscription', 'redeliver'],
  ['create'],
  ['whoami'],
];

export const REFERENCE_START = '<!-- cli-reference: made by `npx tsx scripts/cli-reference.ts` from each --help -->';
export const REFERENCE_END = '<!-- /cli-reference -->';

/** What `tempohook …words --help` prints, run in-process with no network and no environment. */
export async function helpOf(words: readonly string[]): Promise<{ code: number; text: string }> {
  const [name, ...rest] = words;
  let text = '';
  const ctx = createCliContext({
    env: {},
    stdout: (t) => (text += t),
    stderr: (t) => (text += t),
    fetch: () => Promise.reject(new Error('--help must not make requests')),
  });
  const command = commands[name!]!() as (argv: string[], c: typeof ctx) => Promise<number>;
  const code = await command([...rest, '--help'], ctx);
  return { code, text };
}

/** The generated part of docs/cli.md. */
export async function renderCliReference(): Promise<string> {
  const sections = [`## \`tempohook --help\`\n\n\`\`\`text\n${USAGE}\`\`\`\n`];
  for (const words of HELP_PAGES) {
    const { text } = await helpOf(words);
    sections.push(`## \`tempohook ${words.join(' ')}\`\n\n\`\`\`text\n${text}\`\`\`\n`);
  }
  return `${REFERENCE_START}\n\n${sections.join('\n')}\n${REFERENCE_END}`;
}
