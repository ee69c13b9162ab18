/**
 * The Temporal CLI resolver, the dev-server launcher and the shared test harness, against the
 * real CLI and the run's real dev server.
 */
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Worker } from '@temporalio/worker';
import { TempohookError } from '../src/errors';
import { createExampleActivities } from '../src/examples/activities';
import { silentLogger } from '../src/logger';
import { cachedTemporalCliPath, resolveTemporalCli, TEMPORAL_CLI_VERSION } from '../src/temporal/cli-binary';
import { connectTemporal } from '../src/temporal/connection';
import { ensureSearchAttributes, startDevServer } from '../src/temporal/dev-server';
import { tempohookSearchAttributes, type WebhookStartInput } from '../src/workflows/definitions';
import { freePort } from './support/ports';
import { getTestTemporal, uniqueTaskQueue } from './support/temporal';

const KEYWORD = 2; // temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD
const KEYWORD_LIST = 7;

const tmpDirs: string[] = [];
async function tmpDir(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tempohook-cli-test-'));
  tmpDirs.push(dir);
  return dir;
}
after(async () => {
  await Promise.all(tmpDirs.map((d) => fs.rm(d, { recursive: true, force: true })));
});

/** The real binary this machine has (env, PATH or cache), without provisioning anything. */
async function realCli(): Promise<string> {
  return (await resolveTemporalCli({ allowDownload: false, allowGoInstall: false, logger: silentLogger })).path;
}

async function rejectsWithCode(promise: Promise<unknown>, code: string): Promise<TempohookError> {
  const err = await promise.then(
    () => assert.fail('expected a rejection'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof TempohookError, `expected a TempohookError, got ${String(err)}`);
  assert.equal(err.code, code, err.message);
  return err;
}

describe('resolveTemporalCli', () => {
  test('honors TEMPORAL_CLI_PATH pointing at the real binary', async () => {
    const real = await realCli();
    assert.deepEqual(await resolveTemporalCli({ env: { TEMPORAL_CLI_PATH: real }, logger: silentLogger }), {
      path: real,
      source: 'env',
    });
  });

  test('rejects a TEMPORAL_CLI_PATH that does not exist, naming the variable', async () => {
    const err = await rejectsWithCode(
      resolveTemporalCli({ env: { TEMPORAL_CLI_PATH: '/nonexistent/temporal' }, logger: silentLogger }),
      'temporal_cli_unavailable',
    );
    assert.match(err.message, /TEMPORAL_CLI_PATH=\/nonexistent\/temporal does not exist/);
    assert.equal(err.status, 500);
  });

  test('rejects a TEMPORAL_CLI_PATH that is not executable', async () => {
    const file = path.join(await tmpDir(), 'temporal');
    await fs.writeFile(file, '#!/bin/sh\n', { mode: 0o644 });
    const err = await rejectsWithCode(
      resolveTemporalCli({ env: { TEMPORAL_CLI_PATH: file }, logger: silentLogger }),
      'temporal_cli_unavailable',
    );
    assert.match(err.message, /TEMPORAL_CLI_PATH=.* is not executable/);
  });

  test('finds temporal on PATH', async () => {
    const dir = await tmpDir();
    await fs.symlink(await realCli(), path.join(dir, 'temporal'));
    assert.deepEqual(
      await resolveTemporalCli({ env: { PATH: `/nonexistent${path.delimiter}${dir}` }, logger: silentLogger }),
      {
        path: path.join(dir, 'temporal'),
        source: 'path',
      },
    );
  });

  test('finds a cached build under TEMPOHOOK_CACHE_DIR', async () => {
    const cacheDir = await tmpDir();
    const cached = cachedTemporalCliPath(cacheDir);
    assert.equal(cached, path.join(cacheDir, `temporal-cli-${TEMPORAL_CLI_VERSION}`, 'temporal'));
    await fs.mkdir(path.dirname(cached));
    await fs.symlink(await realCli(), cached);
    assert.deepEqual(
      await resolveTemporalCli({ env: { TEMPOHOOK_CACHE_DIR: cacheDir }, pathLookup: false, logger: silentLogger }),
      {
        path: cached,
        source: 'cache',
      },
    );
  });

  test('when every option is off, the error names each way out', async () => {
    const cacheDir = await tmpDir();
    const err = await rejectsWithCode(
      resolveTemporalCli({
        env: {},
        pathLookup: false,
        cacheDir,
        allowDownload: false,
        allowGoInstall: false,
        logger: silentLogger,
      }),
      'temporal_cli_unavailable',
    );
    for (const option of [
      'TEMPORAL_CLI_PATH',
      'PATH',
      'TEMPORAL_ADDRESS',
      'Go >= 1.25',
      'go install',
      'https://temporal.download',
      'TEMPOHOOK_CACHE_DIR',
    ]) {
      assert.ok(err.message.includes(option), `the message names ${option}:\n${err.message}`);
    }
    assert.ok(err.message.includes(cachedTemporalCliPath(cacheDir)), err.message);
    assert.equal(err.status, 500);
  });

  test('when the download and go install fail, the error says what each attempt said', async () => {
    const cacheDir = await tmpDir();
    const started = Date.now();
    const err = await rejectsWithCode(
      resolveTemporalCli({
        env: {},
        pathLookup: false,
        cacheDir,
        downloadBaseUrl: `http://127.0.0.1:${await freePort()}`,
        goBinary: path.join(cacheDir, 'no-such-go'),
        logger: silentLogger,
      }),
      'temporal_cli_unavailable',
    );
    assert.match(err.message, /download: .*fetch failed.*ECONNREFUSED/);
    assert.match(err.message, /go install: Go not found \(.*no-such-go does not exist\)/);
    assert.ok(Date.now() - started < 3000, 'an unreachable download service fails fast');
    await assert.rejects(
      fs.access(path.join(cacheDir, `temporal-cli-${TEMPORAL_CLI_VERSION}.lock`)),
      'the build lock is released',
    );
  });
});

describe('the shared test dev server', () => {
  let temporal: Awaited<ReturnType<typeof getTestTemporal>>;
  before(async () => {
    temporal = await getTestTemporal();
  });

  test('has the Tempohook search attributes registered', async () => {
    const { customAttributes } = await temporal.connection.operatorService.listSearchAttributes({
      namespace: temporal.namespace,
    });
    for (const key of tempohookSearchAttributes)
      assert.equal(
        customAttributes?.[key.name],
        key.type === 'KEYWORD_LIST' ? KEYWORD_LIST : KEYWORD,
        `${key.name} is a ${key.type}`,
      );
  });

  test('runs weeklyReport from the shared bundle on a Worker', async () => {
    const taskQueue = uniqueTaskQueue('harness');
    const worker = await Worker.create({
      connection: temporal.nativeConnection,
      namespace: temporal.namespace,
      workflowBundle: temporal.workflowBundle,
      activities: createExampleActivities(),
      taskQueue,
    });
    const input: WebhookStartInput = {
      webhook_payload: { repository: { full_name: 'acme/app' }, commits: [1, 2] },
      webhook_event_id: `evt-${randomUUID()}`,
      webhook_received_at: new Date().toISOString(),
      webhook_source: 'push',
      webhook_delivery_id: randomUUID(),
      webhook_name: 'harness',
      webhook_namespace: 'default',
    };
    const result = await worker.runUntil(
      temporal.client.workflow.execute('weeklyReport', {
        taskQueue,
        workflowId: `harness-${randomUUID()}`,
        args: [input],
        workflowExecutionTimeout: '30s',
      }),
    );
    assert.deepEqual((result as { summary: unknown }).summary, {
      keys: ['repository', 'commits'],
      bytes: 55,
      repository: 'acme/app',
      commits: 2,
    });
  });

  test('ensureSearchAttributes adds what is missing and is idempotent', async () => {
    assert.deepEqual(
      await ensureSearchAttributes(temporal.connection, temporal.namespace, tempohookSearchAttributes),
      [],
    );
    const probe = { name: 'TempohookHarnessProbe', type: 'KeywordList' as const };
    await ensureSearchAttributes(temporal.connection, temporal.namespace, [probe]);
    assert.deepEqual(await ensureSearchAttributes(temporal.connection, temporal.namespace, [probe]), []);
    const { customAttributes } = await temporal.connection.operatorService.listSearchAttributes({
      namespace: temporal.namespace,
    });
    assert.equal(customAttributes?.[probe.name], KEYWORD_LIST);
  });

  test('connectTemporal reaches the server at the configured address', async () => {
    const { connection, client, namespace } = await connectTemporal({ address: temporal.address });
    try {
      assert.equal(namespace, 'default');
      const info = await client.workflowService.getSystemInfo({});
      assert.ok(info.capabilities, 'the server answered');
    } finally {
      await connection.close();
    }
  });

  test('connectTemporal refuses half an mTLS pair and unreadable files, naming the variables', async () => {
    const half = await rejectsWithCode(
      connectTemporal({ address: temporal.address, tlsCertPath: '/x/client.pem' }),
      'invalid_config',
    );
    assert.match(half.message, /TEMPORAL_TLS_CERT_PATH and TEMPORAL_TLS_KEY_PATH/);
    const missing = await rejectsWithCode(
      connectTemporal({ address: temporal.address, tlsCaPath: '/nonexistent/ca.pem' }),
      'invalid_config',
    );
    assert.match(missing.message, /TEMPORAL_TLS_CA_PATH=\/nonexistent\/ca.pem cannot be read/);
  });

  test('connectTemporal to a closed port fails with temporal_unavailable (503)', async () => {
    const address = `127.0.0.1:${await freePort()}`;
    const err = await rejectsWithCode(connectTemporal({ address }, { connectTimeoutMs: 500 }), 'temporal_unavailable');
    assert.equal(err.status, 503);
    assert.ok(err.message.startsWith(`Cannot connect to Temporal at ${address}`), err.message);
    assert.match(err.message, /Check TEMPORAL_ADDRESS/);
  });
});

describe('startDevServer', () => {
  test("keeps a --db-filename server's data across restarts and adds new search attributes to it", async () => {
    const cliPath = await realCli();
    const dbFilename = path.join(await tmpDir(), 'temporal.db');
    const first = await startDevServer({ cliPath, port: 0, headless: true, dbFilename, logger: silentLogger });
    const workflowId = `persisted-${randomUUID()}`;
    try {
      const { connection, client } = await connectTemporal({ address: first.address });
      await client.workflow.start('weeklyReport', { taskQueue: 'nobody-polls', workflowId, args: [{}] });
      await connection.close();
    } finally {
      await first.stop();
    }
    assert.notEqual(first.process.exitCode ?? first.process.signalCode, null, 'stop() waits for the process to exit');

    const waitingFor = { name: 'TempohookWaitingFor', type: 'KeywordList' as const };
    const second = await startDevServer({
      cliPath,
      port: 0,
      headless: true,
      dbFilename,
      extraSearchAttributes: [waitingFor],
      logger: silentLogger,
    });
    try {
      const { connection, client } = await connectTemporal({ address: second.address });
      assert.equal((await client.workflow.getHandle(workflowId).describe()).status.name, 'RUNNING');
      const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
      assert.equal(customAttributes?.TempohookWaitingFor, KEYWORD_LIST);
      assert.equal(customAttributes?.TempohookWebhook, KEYWORD);
      await connection.close();
    } finally {
      await second.stop();
    }
  });

  test("rejects with the server's own last words when it exits before it is ready", async () => {
    const err = await rejectsWithCode(
      startDevServer({
        cliPath: await realCli(),
        port: 0,
        headless: true,
        extraArgs: ['--dynamic-config-value', 'not-a-pair'],
        logger: silentLogger,
      }),
      'temporal_dev_server_failed',
    );
    assert.match(err.message, /exited with code 1 before it was ready/);
    assert.match(err.message, /not-a-pair/);
  });

  test('refuses a port that is taken, suggesting TEMPORAL_ADDRESS', async () => {
    const { address } = await getTestTemporal();
    const port = Number(address.split(':').pop());
    const err = await rejectsWithCode(
      startDevServer({ cliPath: await realCli(), port, headless: true, logger: silentLogger }),
      'temporal_port_in_use',
    );
    assert.match(err.message, new RegExp(`TEMPORAL_ADDRESS=127\\.0\\.0\\.1:${port}`));
  });
});
