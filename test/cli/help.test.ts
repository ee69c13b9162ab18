/**
 * Every command's `--help`: printed with no side effects and exit 0; unknown flags are one line
 * and exit 2; docs/cli.md is the helps themselves, and what README and docs say to type exists.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { HELP_PAGES, helpOf, REFERENCE_END, REFERENCE_START, renderCliReference } from '../../src/cli/help-reference';
import { commands, USAGE } from '../../src/cli/main';
import { runCli, type CliCommand } from './cli-harness';

const ROOT = path.resolve(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'tempohook.js');

/** `node bin/tempohook.js …args` in a fresh empty directory, with no tempohook or Temporal settings. */
function tempohook(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string; cwd: string }> {
  const cwd = mkdtempSync(path.join(tmpdir(), 'tempohook-help-'));
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(TEMPOHOOK_|TEMPORAL_|DATABASE_URL$|PORT$)/.test(k)),
  );
  // An address nothing answers on: a command that did start would fail, not reach the test run's server.
  env.TEMPORAL_ADDRESS = '127.0.0.1:1';
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, cwd });
    });
  });
}

const command = (words: readonly string[]): CliCommand => commands[words[0]!]!();

describe('tempohook --help', () => {
  test('every command is in the top-level usage and has a help page, and the usage names no other command', () => {
    const named = new Set([...USAGE.matchAll(/^\s+tempohook ([a-z][a-z-]*)/gm)].map((m) => m[1]));
    assert.deepEqual([...named].sort(), Object.keys(commands).sort());
    assert.deepEqual(
      Object.keys(commands).sort(),
      [...new Set(HELP_PAGES.map((w) => w[0]))].sort(),
      'src/cli/help-reference.ts HELP_PAGES lists every command',
    );
  });

  for (const words of HELP_PAGES) {
    test(`tempohook ${words.join(' ')} --help and -h print the usage, exit 0 and make no request`, async () => {
      for (const flag of ['--help', '-h']) {
        const run = await runCli(command(words), [...words.slice(1), flag], {});
        assert.equal(run.code, 0, run.stderr);
        assert.equal(run.requests, 0);
        assert.equal(run.stderr, '');
        assert.match(run.stdout, new RegExp(`^Usage:[\\s\\S]*tempohook ${words.join(' ')}\\b`));
      }
    });

    test(`tempohook ${words.join(' ')} --no-such-flag: one line, exit 2`, async () => {
      const run = await runCli(command(words), [...words.slice(1), '--no-such-flag'], {});
      assert.equal(run.code, 2);
      assert.equal(run.stdout, '');
      assert.equal(run.requests, 0);
      assert.match(
        run.stderr,
        new RegExp(
          `^error \\[usage\\]: Unknown option '--no-such-flag' \\(see \`tempohook ${words[0]} --help\`\\)\\n$`,
        ),
      );
    });
  }

  test('docs/cli.md holds every help as the commands print it (npx tsx scripts/cli-reference.ts rewrites it)', async () => {
    const doc = readFileSync(path.join(ROOT, 'docs', 'cli.md'), 'utf8');
    const start = doc.indexOf(REFERENCE_START);
    const end = doc.indexOf(REFERENCE_END);
    assert.ok(start >= 0 && end > start, 'docs/cli.md has the generated section');
    assert.equal(doc.slice(start, end + REFERENCE_END.length), await renderCliReference());
  });

  test('every `tempohook …` that README.md and docs/ tell a reader to type names a command and flags it takes', async () => {
    const files = ['README.md', ...readdirSync(path.join(ROOT, 'docs')).map((f) => `docs/${f}`)];
    const typed: Array<{ file: string; line: string }> = [];
    for (const file of files) {
      const text = readFileSync(path.join(ROOT, file), 'utf8');
      const end = text.indexOf(REFERENCE_START);
      // Inline code and shell lines; the generated reference is checked above.
      const body = end >= 0 ? text.slice(0, end) : text;
      for (const m of body.matchAll(/`(?:npx )?tempohook ([^`\n]+)`|^\s*(?:npx )?tempohook ([^\n]+)$/gm))
        typed.push({ file, line: (m[1] ?? m[2])!.trim() });
    }
    assert.ok(typed.length > 5, 'the docs show commands');
    const helps = new Map<string, string>();
    for (const words of HELP_PAGES) helps.set(words.join(' '), (await helpOf(words)).text);
    for (const { file, line } of typed) {
      const [first, second] = line.split(/\s+/);
      if (['--version', '--help', 'COMMAND', '…'].includes(first!)) continue;
      assert.ok(first! in commands, `${file}: \`tempohook ${line}\` is not a command`);
      const help = helps.get(`${first} ${second}`) ?? helps.get(first!)!;
      for (const flag of line.match(/(?<![\w-])--?[a-z][a-z-]*/g) ?? [])
        assert.ok(
          new RegExp(`(?<![\\w-])${flag}(?![\\w-])`).test(help),
          `${file}: \`tempohook ${line}\` uses ${flag}, which \`tempohook ${first} --help\` does not list`,
        );
    }
  });
});

describe('the tempohook process', () => {
  test('--version prints the package version', async () => {
    const { version } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const run = await tempohook(['--version']);
    assert.equal(run.code, 0);
    assert.equal(run.stdout, `tempohook ${version}\n`);
  });

  for (const name of ['dev', 'ingress', 'worker']) {
    test(`tempohook ${name} --help prints its usage and starts nothing: exit 0, nothing written to its directory`, async () => {
      const run = await tempohook([name, '--help']);
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stderr, '');
      assert.match(run.stdout, new RegExp(`^Usage: tempohook ${name}`));
      assert.deepEqual(readdirSync(run.cwd), [], 'no .tempohook data dir, no files');
    });
  }

  test('an unknown flag or command is one line on stderr and exit 2, with no stack trace', async () => {
    for (const args of [['worker', '--bogus'], ['--bogus'], ['frobnicate'], ['dev', 'extra']]) {
      const run = await tempohook(args);
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
      assert.equal(run.stdout, '');
      assert.match(run.stderr, /^error \[usage\]: [^\n]+\n$/, args.join(' '));
    }
  });
});
