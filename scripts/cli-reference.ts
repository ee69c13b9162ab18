/** Rewrites the generated part of docs/cli.md from each command's --help (see src/cli/help-reference.ts). */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { REFERENCE_END, REFERENCE_START, renderCliReference } from '../src/cli/help-reference';

const file = path.resolve(__dirname, '..', 'docs', 'cli.md');

void renderCliReference().then((reference) => {
  const text = readFileSync(file, 'utf8');
  const start = text.indexOf(REFERENCE_START);
  const end = text.indexOf(REFERENCE_END);
  const next =
    start >= 0 && end > start
      ? text.slice(0, start) + reference + text.slice(end + REFERENCE_END.length)
      : `${text.trimEnd()}\n\n${reference}\n`;
  writeFileSync(file, next);
  process.stdout.write(`docs/cli.md: ${next === text ? 'unchanged' : 'updated'}\n`);
});
