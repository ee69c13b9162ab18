/**
 * `npm test`: one Temporal dev server and one workflow bundle for the whole run, then node's
 * test runner over test/**\/*.test.ts (or the files given). Usage:
 *   npm test [-- FILE… --test-flag=value…]
 * Honors TEMPORAL_ADDRESS (use that server instead of starting one) and DATABASE_URL
 * (default postgres://root@127.0.0.1:5432/test). Exits with the runner's code.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TempohookError } from '../src/errors';
import type { Logger } from '../src/logger';
import { resolveTemporalCli } from '../src/temporal/cli-binary';
import { connectTemporal } from '../src/temporal/connection';
import { ensureSearchAttributes, startDevServer, type DevServer } from '../src/temporal/dev-server';
import { bundleTestWorkflows } from '../test/support/bundle';

const ROOT = path.resolve(__dirname, '..');
const DEFAULT_DATABASE_URL = 'postgres://root@127.0.0.1:5432/test';

const say = (line: string) => process.stderr.write(`[tempohook test] ${line}\n`);
const seconds = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)} s`;

/** Harness progress as plain lines (the JSON logger would drown the test output). */
const harnessLogger: Logger = {
  debug: () => undefined,
  info: (msg) => say(msg),
  warn: (msg, fields) => say(`warning: ${msg}${fields ? ` ${JSON.stringify(fields)}` : ''}`),
  error: (msg, fields) => say(`error: ${msg}${fields ? ` ${JSON.stringify(fields)}` : ''}`),
  child: () => harnessLogger,
};

async function findTestFiles(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await findTestFiles(full)));
    else if (entry.name.endsWith('.test.ts')) found.push(full);
  }
  return found.sort();
}

async function main(argv: string[]): Promise<number> {
  const runnerFlags = argv.filter((a) => a.startsWith('-'));
  const named = argv.filter((a) => !a.startsWith('-')).map((f) => path.resolve(f));
  const files = named.length > 0 ? named : await findTestFiles(path.join(ROOT, 'test'));
  if (files.length === 0) {
    say('no test files found (test/**/*.test.ts)');
    return 1;
  }

  const cleanups: Array<() => Promise<unknown>> = [];
  let runner: ChildProcess | undefined;
  let interrupted: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = signal;
    say(`${signal}: stopping`);
    // A terminal's Ctrl-C reaches the runner's process group too; forwarding covers `kill <pid>`.
    if (runner && runner.exitCode === null) runner.kill(signal);
    else void cleanup().then(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  const cleanup = async () => {
    for (const fn of cleanups.splice(0).reverse())
      await fn().catch((err: unknown) => say(`cleanup failed: ${(err as Error).message}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'tempohook-test-'));
    cleanups.push(() => fs.rm(tmp, { recursive: true, force: true }));
    const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: process.env.DATABASE_URL || DEFAULT_DATABASE_URL };

    const bundlePath = path.join(tmp, 'workflow-bundle.js');
    const bundleStarted = Date.now();
    const bundling = bundleTestWorkflows(bundlePath).then(({ bytes }) => {
      say(`workflow bundle (${(bytes / 1024 / 1024).toFixed(1)} MB) in ${seconds(bundleStarted)}`);
    });
    bundling.catch(() => undefined); // awaited below; don't let an early rejection go unhandled

    if (process.env.TEMPORAL_ADDRESS) {
      const namespace = process.env.TEMPORAL_NAMESPACE || 'default';
      say(`using the Temporal server at TEMPORAL_ADDRESS=${process.env.TEMPORAL_ADDRESS} (namespace ${namespace})`);
      const temporal = await connectTemporal({
        address: process.env.TEMPORAL_ADDRESS,
        namespace,
        apiKey: process.env.TEMPORAL_API_KEY,
        tlsCertPath: process.env.TEMPORAL_TLS_CERT_PATH,
        tlsKeyPath: process.env.TEMPORAL_TLS_KEY_PATH,
        tlsCaPath: process.env.TEMPORAL_TLS_CA_PATH,
      });
      try {
        const added = await ensureSearchAttributes(temporal.connection, namespace);
        if (added.length > 0) say(`registered search attributes ${added.join(', ')}`);
      } catch (err) {
        say(`warning: ${(err as Error).message}`);
      } finally {
        await temporal.connection.close();
      }
    } else {
      const cliStarted = Date.now();
      const cli = await resolveTemporalCli({ logger: harnessLogger });
      say(`Temporal CLI ${cli.path} (${cli.source}) in ${Date.now() - cliStarted} ms`);
      const serverStarted = Date.now();
      const server: DevServer = await startDevServer({
        cliPath: cli.path,
        port: 0,
        headless: true,
        logger: harnessLogger,
      });
      cleanups.push(() => server.stop());
      say(`Temporal dev server at ${server.address} in ${seconds(serverStarted)}`);
      env.TEMPORAL_ADDRESS = server.address;
    }
    await bundling;
    env.TEMPOHOOK_TEST_BUNDLE = bundlePath;
    if (interrupted) return 130;

    say(`running ${files.length} test file${files.length === 1 ? '' : 's'}`);
    runner = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...runnerFlags, ...files], {
      cwd: ROOT,
      env,
      stdio: 'inherit',
    });
    const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>(
      (resolve, reject) => {
        runner!.once('error', reject);
        runner!.once('exit', (code, signal) => resolve({ code, signal }));
      },
    );
    if (interrupted) return interrupted === 'SIGINT' ? 130 : 143;
    return code ?? (signal ? 128 + (os.constants.signals[signal] ?? 0) : 1);
  } catch (err) {
    if (err instanceof TempohookError) say(`error [${err.code}]: ${err.message}`);
    else say(`error: ${(err as Error)?.stack ?? String(err)}`);
    return 1;
  } finally {
    await cleanup();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${(err as Error)?.stack ?? String(err)}\n`);
    process.exit(1);
  },
);
