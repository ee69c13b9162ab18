/**
 * tempohook as a team installs it: `npm pack` of this checkout, the tarball installed into a
 * fresh project outside the repo (its own package.json, worker, workflow and Express app), a
 * strict type check of that project, then signed deliveries to its app that start one of its
 * workflows and resume it, on the run's Temporal dev server and a database of its own.
 *
 * Packing builds `dist/` (prepack) in a copy of the checkout, so the working tree's `bin/`
 * keeps running the sources. The install reads the npm cache first (`--prefer-offline`).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { promises as fs, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { DATABASE_URL } from '../support/db';
import { getTestTemporal, uniqueTaskQueue } from '../support/temporal';

const run = promisify(execFile);
const started = Date.now();
const say = (step: string) =>
  process.stderr.write(`[consumer] ${step} at ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
const ROOT = path.resolve(__dirname, '..', '..');
const ADMIN_TOKEN = 'consumer-admin-token-0123456789';
const SECRET = 'consumer-signing-secret';

/** What the team writes. */
const consumerFiles: Record<string, string> = {
  'tsconfig.json': JSON.stringify(
    {
      compilerOptions: {
        target: 'ES2022',
        module: 'node16',
        moduleResolution: 'node16',
        strict: true,
        esModuleInterop: true,
        // As in Temporal's samples: @temporalio/common's declarations import `ms`, whose types the SDK does not install.
        skipLibCheck: true,
        rootDir: 'src',
        types: ['node'],
      },
      include: ['src'],
    },
    null,
    2,
  ),
  'src/workflows.ts': `
import { waitForWebhook, type WebhookStartInput } from 'tempohook/workflow';

/** Started by an order delivery; finishes when the approval for that order arrives. */
export async function fulfilOrder(input: WebhookStartInput): Promise<{ orderId: string; approvedBy: unknown }> {
  const { orderId } = input.webhook_payload as { orderId: string };
  const approval = await waitForWebhook('approvals', { match: { '$.orderId': orderId }, timeout: '2 minutes' });
  if (approval.timedOut) throw new Error('no approval in time');
  return { orderId, approvedBy: (approval.payload as { approvedBy?: unknown }).approvedBy };
}
`,
  'src/worker.ts': `
import { NativeConnection, Worker } from '@temporalio/worker';
import { TempohookPlugin } from 'tempohook/worker';

export async function startWorker(address: string, taskQueue: string, databaseUrl: string): Promise<Worker> {
  const connection = await NativeConnection.connect({ address });
  return Worker.create({
    connection,
    taskQueue,
    workflowsPath: require.resolve('./workflows'),
    plugins: [new TempohookPlugin({ databaseUrl })],
  });
}
`,
  'src/app.ts': `
import express from 'express';
import { Client, Connection } from '@temporalio/client';
import { createTempohookRouter, type TempohookRouter } from 'tempohook';

export async function createShopApp(address: string, databaseUrl: string, adminToken: string) {
  const client = new Client({ connection: await Connection.connect({ address }) });
  const hooks: TempohookRouter = createTempohookRouter({ client, databaseUrl, adminToken });
  const app = express();
  app.use('/hooks', hooks);
  app.use(express.json());
  app.get('/orders', (_req, res) => {
    res.json({ orders: [] });
  });
  return { app, hooks };
}
`,
  'src/main.ts': `
import { createShopApp } from './app';
import { startWorker } from './worker';

async function main(): Promise<void> {
  const { TEMPORAL_ADDRESS, DATABASE_URL, TASK_QUEUE, ADMIN_TOKEN } = process.env;
  if (!TEMPORAL_ADDRESS || !DATABASE_URL || !TASK_QUEUE || !ADMIN_TOKEN) throw new Error('missing configuration');
  const { app, hooks } = await createShopApp(TEMPORAL_ADDRESS, DATABASE_URL, ADMIN_TOKEN);
  await hooks.ready();
  const worker = await startWorker(TEMPORAL_ADDRESS, TASK_QUEUE, DATABASE_URL);
  const server = app.listen(0, '127.0.0.1', () => {
    const address = server.address();
    process.stdout.write('listening ' + (typeof address === 'object' && address ? address.port : '') + '\\n');
  });
  process.once('SIGTERM', () => {
    worker.shutdown();
    server.close();
  });
  await worker.run();
  await hooks.close();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
`,
};

function version(pkg: string): string {
  return (JSON.parse(readFileSync(path.join(ROOT, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string })
    .version;
}

async function copyCheckout(dest: string): Promise<void> {
  for (const entry of ['package.json', 'tsconfig.json', 'tsconfig.build.json', 'README.md', 'LICENSE']) {
    await fs.copyFile(path.join(ROOT, entry), path.join(dest, entry));
  }
  for (const dir of ['bin', 'src', 'examples'])
    await fs.cp(path.join(ROOT, dir), path.join(dest, dir), { recursive: true });
  // tsc for the prepack build, without a second install.
  await fs.symlink(path.join(ROOT, 'node_modules'), path.join(dest, 'node_modules'), 'dir');
}

function signedHeaders(body: string, eventId: string): Record<string, string> {
  const timestamp = Math.floor(Date.now() / 1000);
  return {
    'content-type': 'application/json',
    'x-timestamp': String(timestamp),
    'x-event-id': eventId,
    'x-signature': `sha256=${createHmac('sha256', SECRET).update(`${timestamp}.${body}`).digest('hex')}`,
  };
}

describe('the packed tarball in a fresh project', () => {
  const tmp = path.join(os.tmpdir(), `tempohook-consumer-${randomBytes(4).toString('hex')}`);
  const database = `consumer_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: DATABASE_URL });
  let tarball: string;
  let app: ChildProcess | undefined;

  before(async () => {
    await fs.mkdir(path.join(tmp, 'checkout'), { recursive: true });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
  });
  after(async () => {
    if (app && app.exitCode === null) {
      app.kill('SIGTERM');
      await new Promise((resolve) => {
        const timer = setTimeout(() => app!.kill('SIGKILL'), 10_000);
        app!.once('exit', () => resolve(clearTimeout(timer)));
      });
    }
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => undefined);
    await admin.end();
    await fs.rm(tmp, { recursive: true, force: true });
  });

  test('npm pack builds a tarball with dist/, types, the CLI and the license, and no sources or tests', async () => {
    const checkout = path.join(tmp, 'checkout');
    await copyCheckout(checkout);
    const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', tmp], {
      cwd: checkout,
      maxBuffer: 64 * 1024 * 1024,
    });
    const [packed] = JSON.parse(stdout.slice(stdout.indexOf('['))) as Array<{
      filename: string;
      files: { path: string }[];
    }>;
    tarball = path.join(tmp, packed!.filename);
    say('packed');
    const files = packed!.files.map((f) => f.path);
    for (const expected of [
      'LICENSE',
      'README.md',
      'package.json',
      'bin/tempohook.js',
      'dist/index.js',
      'dist/index.d.ts',
      'dist/worker/index.js',
      'dist/worker/index.d.ts',
      'dist/workflows/index.js',
      'dist/workflows/index.d.ts',
      'dist/cli/main.js',
      'src/console/index.html',
      'src/console/app.js',
      'src/console/console.css',
    ])
      assert.ok(files.includes(expected), `${expected} is in the tarball`);
    assert.ok(
      files.some((f) => f.startsWith('src/store/migrations/')),
      'the SQL migrations are in the tarball',
    );
    assert.deepEqual(
      files.filter((f) => /^(test|scripts|bench)\//.test(f) || (f.endsWith('.ts') && !f.endsWith('.d.ts'))),
      [],
      'no sources or tests',
    );
  });

  test('its worker, workflow and Express app type-check, and a signed delivery starts and resumes its workflow', async () => {
    assert.ok(tarball, 'the tarball was packed');
    const project = path.join(tmp, 'shop');
    await fs.mkdir(path.join(project, 'src'), { recursive: true });
    const temporalVersion = version('@temporalio/worker');
    await fs.writeFile(
      path.join(project, 'package.json'),
      JSON.stringify(
        {
          name: 'shop',
          private: true,
          dependencies: {
            tempohook: `file:${tarball}`,
            '@temporalio/client': temporalVersion,
            '@temporalio/worker': temporalVersion,
            '@temporalio/workflow': temporalVersion,
            express: version('express'),
          },
          devDependencies: {
            typescript: version('typescript'),
            '@types/express': version('@types/express'),
            '@types/node': version('@types/node'),
          },
        },
        null,
        2,
      ),
    );
    for (const [file, text] of Object.entries(consumerFiles)) await fs.writeFile(path.join(project, file), text);
    await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], {
      cwd: project,
      maxBuffer: 64 * 1024 * 1024,
    });
    say('installed');
    const installed = JSON.parse(
      await fs.readFile(path.join(project, 'node_modules', 'tempohook', 'package.json'), 'utf8'),
    ) as { version: string };
    const own = JSON.parse(await fs.readFile(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    assert.equal(installed.version, own.version);

    // One copy of the SDK: tempohook's peers are the project's own.
    await assert.rejects(fs.access(path.join(project, 'node_modules', 'tempohook', 'node_modules', '@temporalio')));

    // The library entries load neither the embedded database nor dev-server tooling.
    const { stdout: loaded } = await run(
      process.execPath,
      [
        '-e',
        "require('tempohook'); require('tempohook/worker'); require('tempohook/workflow');" +
          'console.log(JSON.stringify(Object.keys(require.cache)))',
      ],
      { cwd: project },
    );
    const modules = JSON.parse(loaded) as string[];
    assert.ok(modules.some((m) => m.includes(`${path.sep}tempohook${path.sep}dist${path.sep}index.js`)));
    assert.deepEqual(
      modules.filter((m) => /node_modules[\\/]@electric-sql[\\/]pglite|@temporalio[\\/]testing/.test(m)),
      [],
    );

    const tsc = path.join(project, 'node_modules', '.bin', 'tsc');
    await run(tsc, ['--noEmit', '-p', project], { cwd: project }).catch((err: { stdout?: string }) =>
      assert.fail(`tsc --noEmit failed:\n${err.stdout}`),
    );
    say('type-checked');

    const temporal = await getTestTemporal();
    const taskQueue = uniqueTaskQueue('consumer');
    const databaseUrl = new URL(DATABASE_URL);
    databaseUrl.pathname = `/${database}`;
    // Run from its sources with this checkout's tsx (the team would compile; tsc just checked the same files).
    app = spawn(process.execPath, ['--require', require.resolve('tsx/cjs'), path.join(project, 'src', 'main.ts')], {
      cwd: project,
      env: {
        PATH: process.env.PATH,
        TEMPORAL_ADDRESS: temporal.address,
        DATABASE_URL: databaseUrl.toString(),
        TASK_QUEUE: taskQueue,
        ADMIN_TOKEN,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    app.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const port = await new Promise<number>((resolve, reject) => {
      app!.stdout!.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const found = /listening (\d+)/.exec(output);
        if (found) resolve(Number(found[1]));
      });
      app!.once('exit', (code) => reject(new Error(`the shop app exited with ${code}:\n${output}`)));
    });
    const base = `http://127.0.0.1:${port}`;
    say('app listening');

    const api = async (method: string, url: string, body?: unknown) => {
      const res = await fetch(`${base}/hooks${url}`, {
        method,
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      const json = (await res.json()) as any;
      assert.ok(res.ok, `${method} ${url}: ${res.status} ${JSON.stringify(json)}`);
      return json;
    };
    await api('PUT', '/v1/secrets/shop-secret', {
      apiVersion: 'tempohook.dev/v1',
      kind: 'Secret',
      spec: { stringData: { value: SECRET } },
    });
    const orders = await api('PUT', '/v1/webhooks/orders', {
      apiVersion: 'tempohook.dev/v1',
      kind: 'Webhook',
      spec: {
        profile: 'generic',
        secretRef: { name: 'shop-secret', key: 'value' },
        start: { workflowType: 'fulfilOrder', taskQueue },
      },
    });
    const approvals = await api('PUT', '/v1/webhooks/approvals', {
      apiVersion: 'tempohook.dev/v1',
      kind: 'Webhook',
      spec: { profile: 'generic', secretRef: { name: 'shop-secret', key: 'value' }, signal: { enabled: true } },
    });

    const orderId = `order-${randomUUID()}`;
    const orderBody = JSON.stringify({ orderId });
    const started = await fetch(`${base}/hooks${orders.status.endpointPath}`, {
      method: 'POST',
      headers: signedHeaders(orderBody, `evt-${orderId}`),
      body: orderBody,
    });
    const startedBody = (await started.json()) as { workflowId: string; duplicate: boolean };
    assert.equal(started.status, 202, JSON.stringify(startedBody));
    assert.equal(startedBody.duplicate, false);

    // The wait is registered by an activity of the run; deliver the approval once it is open.
    const handle = temporal.client.workflow.getHandle(startedBody.workflowId);
    const deadline = Date.now() + 30_000;
    while ((await api('GET', '/v1/webhooks/approvals/waits')).items.length === 0) {
      assert.ok(Date.now() < deadline, `the run registered no wait in 30 s:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const approvalBody = JSON.stringify({ orderId, approvedBy: 'ops' });
    const resumed = await fetch(`${base}/hooks${approvals.status.endpointPath}`, {
      method: 'POST',
      headers: signedHeaders(approvalBody, `approval-${orderId}`),
      body: approvalBody,
    });
    const resumedBody = (await resumed.json()) as { signaled: { workflowId: string }[] };
    assert.equal(resumed.status, 202, JSON.stringify(resumedBody));
    assert.deepEqual(
      resumedBody.signaled.map((s) => s.workflowId),
      [startedBody.workflowId],
    );
    assert.deepEqual(await handle.result(), { orderId, approvedBy: 'ops' });
    say('workflow resumed and completed');

    // The web console comes with the management API, under the mount point, from the package's files.
    const shell = await fetch(`${base}/hooks/console/`);
    assert.equal(shell.status, 200);
    assert.match(shell.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    assert.match(await shell.text(), /<script type="module" src="app.js"><\/script>/);
    assert.equal((await fetch(`${base}/hooks/console/app.js`)).status, 200);

    // The app's own routes still answer, and its JSON parser never saw the webhook bodies.
    const ownRoute = await fetch(`${base}/orders`);
    assert.deepEqual(await ownRoute.json(), { orders: [] });
  });
});
