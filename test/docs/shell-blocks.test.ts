/**
 * The shell blocks of README.md and docs/*.md, run as a reader runs them: against a real
 * `tempohook dev` (what `npm start` runs) started in a fresh directory, on the run's Temporal dev
 * server and embedded PGlite. Every ```sh block is either run here or carries
 * `<!-- not run: REASON -->` on the line before it. The only edit made to a block is the port:
 * `127.0.0.1:8080` becomes the port this test's ingress listens on.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fs, readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { resolveTemporalCli } from '../../src/temporal/cli-binary';
import { silentLogger } from '../../src/logger';
import { freePort } from '../support/ports';
import { getTestTemporal } from '../support/temporal';

const ROOT = path.resolve(__dirname, '..', '..');
const SHELL_LANGUAGES = new Set(['sh', 'bash', 'shell', 'console', 'zsh']);
const NOT_RUN = /^<!--\s*not run:\s*(\S.*?)\s*-->$/;

interface ShellBlock {
  file: string;
  line: number;
  code: string;
  /** Why the block is not run, when it says so. */
  notRun?: string;
}

/** Every fenced shell block of a markdown file (also indented ones inside lists). */
export function shellBlocks(file: string): ShellBlock[] {
  const lines = readFileSync(path.join(ROOT, file), 'utf8').split('\n');
  const blocks: ShellBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```(\w*)\s*$/.exec(lines[i]!);
    if (!open) continue;
    const indent = open[1]!;
    const end = lines.findIndex((l, j) => j > i && l.trim() === '```');
    assert.ok(end > i, `${file}:${i + 1}: unclosed code fence`);
    if (SHELL_LANGUAGES.has(open[2]!)) {
      let previous = i - 1;
      while (previous >= 0 && lines[previous]!.trim() === '') previous--;
      const reason = previous >= 0 ? NOT_RUN.exec(lines[previous]!.trim())?.[1] : undefined;
      blocks.push({
        file,
        line: i + 1,
        code: lines
          .slice(i + 1, end)
          .map((l) => (l.startsWith(indent) ? l.slice(indent.length) : l))
          .join('\n'),
        ...(reason ? { notRun: reason } : {}),
      });
    }
    i = end;
  }
  return blocks;
}

const documents = ['README.md', ...readdirSync(path.join(ROOT, 'docs')).map((f) => `docs/${f}`)].filter((f) =>
  f.endsWith('.md'),
);

interface DevStack {
  dir: string;
  url: string;
  env: NodeJS.ProcessEnv;
  process: ChildProcess;
  output(): string;
}

/** `tempohook dev` in a fresh directory, as `npm start` runs it, on the test run's Temporal. */
async function startDev(): Promise<DevStack> {
  const temporal = await getTestTemporal();
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tempohook-docs-'));
  // `npx tempohook` in that directory finds this checkout, as it would find an installed package.
  await fs.writeFile(path.join(dir, 'package.json'), '{"name":"docs-reader","private":true}\n');
  await fs.mkdir(path.join(dir, 'node_modules', '.bin'), { recursive: true });
  await fs.symlink(path.join(ROOT, 'bin', 'tempohook.js'), path.join(dir, 'node_modules', '.bin', 'tempohook'));
  const cli = await resolveTemporalCli({ allowDownload: false, allowGoInstall: false, logger: silentLogger });
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${path.dirname(cli.path)}${path.delimiter}${process.env.PATH}`,
    TEMPORAL_ADDRESS: temporal.address,
    PORT: String(port),
    TEMPOHOOK_URL: url,
    TEMPOHOOK_LOG_LEVEL: 'warn',
  };
  delete env.DATABASE_URL; // the quick start's embedded PGlite
  delete env.TEMPOHOOK_ADMIN_TOKEN;
  delete env.NODE_OPTIONS; // the test runner's own hooks are not the reader's
  const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'tempohook.js'), 'dev'], {
    cwd: dir,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`tempohook dev did not start in 120 s:\n${output}`)), 120_000);
    const check = () => {
      if (output.includes('tempohook dev is running')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`tempohook dev exited with ${code} before it was ready:\n${output}`));
    });
  });
  return { dir, url, env, process: child, output: () => output };
}

/** Runs shell code in the reader's directory; returns its output, failing on a non-zero exit. */
async function runShell(stack: DevStack, code: string): Promise<string> {
  const script = `set -euo pipefail\n${code.replaceAll('127.0.0.1:8080', new URL(stack.url).host)}\n`;
  const child = spawn('bash', ['-c', script], { cwd: stack.dir, env: stack.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const exit = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  assert.equal(exit, 0, `the block failed (exit ${exit}):\n${code}\n--- output ---\n${out}`);
  return out;
}

/** The README walkthrough's first lines, which the docs' blocks assume were pasted before them. */
const SESSION = 'export TEMPOHOOK_ADMIN_TOKEN=$(cat .tempohook/admin-token)\nAPI=http://127.0.0.1:8080\n';

describe('shell blocks in README.md and docs/', () => {
  test('every shell block is run by this test, or says why not', () => {
    const blocks = documents.flatMap(shellBlocks);
    assert.ok(blocks.length >= 8, `found ${blocks.length} shell blocks`);
    const runnable = blocks.filter((b) => !b.notRun).map((b) => `${b.file}:${b.line}`);
    const expected = Object.keys(runs).flatMap((file) =>
      shellBlocks(file)
        .filter((b) => !b.notRun)
        .map((b) => `${b.file}:${b.line}`),
    );
    assert.deepEqual(runnable, expected, 'a runnable block in a file this test does not run');
    for (const b of blocks.filter((b) => b.notRun)) assert.ok(b.notRun!.length >= 10, `${b.file}:${b.line}: say why`);
  });

  let stack: DevStack;
  before(async () => {
    stack = await startDev();
  });
  after(async () => {
    if (stack?.process.exitCode === null) {
      stack.process.kill('SIGINT');
      await new Promise((resolve) => stack.process.once('exit', resolve));
    }
    if (stack) await fs.rm(stack.dir, { recursive: true, force: true });
  });

  /** Per document: its runnable blocks in order, in one shell, then what their output must show. */
  const runs: Record<string, (out: string[]) => Promise<void> | void> = {
    'README.md': async ([walkthrough, cli]) => {
      assert.match(walkthrough!, /\/v1\/webhook-deliveries\/[\w-]{20,}\n/, 'the endpoint path is printed');
      assert.match(walkthrough!, /"accepted":true,"duplicate":false,.*"workflowId":"default\/my-hook\/evt-1"/);
      assert.match(walkthrough!, /"accepted":true,"duplicate":true,/);
      const { client } = await getTestTemporal();
      const run = client.workflow.getHandle('default/my-hook/evt-1');
      const result = (await run.result()) as { mapped: { requestedBy?: unknown } };
      assert.equal(result.mapped.requestedBy, 'curl');
      assert.match(cli!, /202/);
      assert.match(cli!, /accepted/);
    },
    'docs/configuration.md': ([tokens]) => {
      assert.match(tokens!, /^name:\s+team-a-ci\nrole:\s+operate\nnamespaces:\s+team-a\n/m);
      assert.match(tokens!, /team-a-ci\s+operate\s+team-a\s+20\d\d-/);
      assert.match(tokens!, /token\/team-a-ci revoked\nerror \[unauthorized\][^\n]*\nrefused, as it should be\n/);
      assert.match(tokens!, /admin\s+DELETE\s+\/v1\/tokens\/:name\s+tokens\/team-a-ci\s+-?\s*200/);
      assert.match(tokens!, /admin\s+POST\s+\/v1\/tokens\s+tokens\/team-a-ci\s+-?\s*201/);
      assert.doesNotMatch(tokens!, /thk_[A-Za-z0-9_-]{43}/, 'the value went to $TOKEN, not the output');
    },
    'docs/waits.md': async ([tryIt, listWaits]) => {
      assert.match(tryIt!, /"signaled": \[\s*\{\s*"workflowId": "wait-1"/);
      const { client } = await getTestTemporal();
      const result = (await client.workflow.getHandle('wait-1').result()) as unknown;
      assert.match(JSON.stringify(result), /acme\/repo/);
      assert.match(listWaits!, /"items":\[/);
    },
  };

  for (const [file, check] of Object.entries(runs)) {
    test(`${file}: its shell blocks run as written`, async () => {
      // One shell for the whole document, as a reader pastes block after block.
      const blocks = shellBlocks(file).filter((b) => !b.notRun);
      const marker = '__tempohook_docs_block__';
      const script = blocks.map((b) => `echo ${marker}\n${b.code}`).join('\n');
      const out = await runShell(stack, `${file === 'README.md' ? '' : SESSION}${script}`);
      const outputs = out.split(`${marker}\n`).slice(1);
      assert.equal(outputs.length, blocks.length);
      await check(outputs);
    });
  }
});
