/**
 * Hostile load against the production `tempohook ingress` process: 30,000+ malformed and hostile
 * requests (test/support/hostile-requests.ts), 32 at a time, mixed with valid signed deliveries.
 * Prints the answers by status, every answer not allowed for its case, the valid deliveries'
 * p99, and the ingress's RSS after a warm-up and after the run. Exits 1 on any 5xx, any valid
 * delivery not answered 202, or any unexpected answer.
 *
 *   npx tsx scripts/hostile-load.ts [--store postgres|embedded] [--requests 30000] [--concurrency 32] [--rounds 1] [--settle 120]
 *
 * postgres: a fresh database on DATABASE_URL's server (default postgres://root@127.0.0.1:5432/test),
 * dropped afterwards. embedded: a PGlite server run by this script, as `tempohook dev` runs it.
 * Temporal: TEMPORAL_ADDRESS, or a dev server started from the cached CLI. No worker is needed:
 * a 202 means Temporal accepted the start.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { silentLogger } from '../src/logger';
import { startEmbeddedPostgres } from '../src/store/embedded-postgres';
import { resolveTemporalCli } from '../src/temporal/cli-binary';
import { startDevServer } from '../src/temporal/dev-server';
import { runHostileRequests, type HostileTarget } from '../test/support/hostile-requests';

const ROOT = path.resolve(__dirname, '..');
const say = (line: string) => process.stdout.write(`${line}\n`);

function option(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 && process.argv[index + 1] ? process.argv[index + 1]! : fallback;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/** Resident set size of `pid` in MB (Linux /proc). */
function rssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
}

/** The ingress's JavaScript heap (used/total) and external memory in MB, from its /metrics. */
async function heapMb(url: string): Promise<string> {
  const text = await fetch(`${url}/metrics`).then(
    (r) => (r.ok ? r.text() : ''),
    () => '',
  );
  const gauge = (name: string) =>
    Math.round(Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN) / 1024 / 1024);
  return text
    ? `heap ${gauge('nodejs_heap_size_used_bytes')}/${gauge('nodejs_heap_size_total_bytes')} MB, external ${gauge('nodejs_external_memory_bytes')} MB`
    : 'heap unknown (no /metrics)';
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<number> {
  const storeKind = option('store', 'postgres');
  const total = Number(option('requests', '30000'));
  const concurrency = Number(option('concurrency', '32'));
  const rounds = Math.max(1, Number(option('rounds', '1')));
  const settleSeconds = Math.max(5, Number(option('settle', '120')));
  const cleanups: Array<() => Promise<unknown>> = [];
  try {
    let temporalAddress = process.env.TEMPORAL_ADDRESS;
    if (!temporalAddress) {
      const cli = await resolveTemporalCli({ logger: silentLogger });
      const server = await startDevServer({ cliPath: cli.path, port: 0, headless: true, logger: silentLogger });
      cleanups.push(() => server.stop());
      temporalAddress = server.address;
    }

    let databaseUrl: string;
    if (storeKind === 'embedded') {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tempohook-hostile-'));
      const embedded = await startEmbeddedPostgres({ dataDir, logger: silentLogger });
      cleanups.push(async () => {
        await embedded.stop();
        fs.rmSync(dataDir, { recursive: true, force: true });
      });
      databaseUrl = embedded.url;
    } else {
      const serverUrl = process.env.DATABASE_URL || 'postgres://root@127.0.0.1:5432/test';
      const database = `hostile_${randomBytes(4).toString('hex')}`;
      const admin = new pg.Client({ connectionString: serverUrl });
      await admin.connect();
      await admin.query(`CREATE DATABASE ${database}`);
      cleanups.push(async () => {
        await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
        await admin.end();
      });
      const url = new URL(serverUrl);
      url.pathname = `/${database}`;
      databaseUrl = url.toString();
    }

    const port = await freePort();
    const adminToken = randomBytes(16).toString('hex');
    const compiled = fs.existsSync(path.join(ROOT, 'dist', 'cli', 'main.js'));
    const ingress = spawn(process.execPath, [path.join(ROOT, 'bin', 'tempohook.js'), 'ingress'], {
      cwd: ROOT,
      env: {
        ...process.env,
        PORT: String(port),
        DATABASE_URL: databaseUrl,
        TEMPORAL_ADDRESS: temporalAddress,
        TEMPOHOOK_ADMIN_TOKEN: adminToken,
        TEMPOHOOK_LOG_LEVEL: 'error',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const errorLines: string[] = [];
    ingress.stderr.on('data', (chunk: Buffer) => errorLines.push(...chunk.toString().split('\n').filter(Boolean)));
    cleanups.push(async () => {
      ingress.kill('SIGTERM');
      await new Promise((resolve) => ingress.once('exit', resolve));
    });
    const url = `http://127.0.0.1:${port}`;
    for (let i = 0; ; i++) {
      if (ingress.exitCode !== null) throw new Error(`the ingress exited: ${errorLines.slice(-5).join('\n')}`);
      if (
        await fetch(`${url}/healthz`).then(
          (r) => r.ok,
          () => false,
        )
      )
        break;
      if (i > 600) throw new Error('the ingress did not answer /healthz within 60 s');
      await sleep(100);
    }

    const secret = randomBytes(24).toString('hex');
    const api = async (apiPath: string, body: unknown) => {
      const res = await fetch(url + apiPath, {
        method: 'PUT',
        headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (!res.ok) throw new Error(`${apiPath}: ${res.status} ${await res.text()}`);
      return (await res.json()) as { status: { endpointPath: string } };
    };
    await api('/v1/secrets/hostile', { kind: 'Secret', spec: { stringData: { value: secret } } });
    const base = { profile: 'generic', secretRef: { name: 'hostile', key: 'value' } };
    const start = { workflowType: 'hostileLoad', taskQueue: 'hostile-load-no-worker' };
    const startHook = await api('/v1/webhooks/hostile-start', { kind: 'Webhook', spec: { ...base, start } });
    const signalHook = await api('/v1/webhooks/hostile-signal', {
      kind: 'Webhook',
      spec: { ...base, start, signal: { enabled: true } },
    });
    const target: HostileTarget = {
      url,
      adminToken,
      secret,
      startPath: startHook.status.endpointPath,
      signalPath: signalHook.status.endpointPath,
    };

    say(
      `tempohook ingress (${compiled ? 'dist' : 'tsx'}), store ${storeKind}, pid ${ingress.pid}, ${total} requests, ${concurrency} at a time`,
    );
    say(`RSS at start: ${rssMb(ingress.pid!)} MB`);
    const warmUp = await runHostileRequests(target, 3000, concurrency);
    await sleep(settleSeconds * 1000);
    const before = rssMb(ingress.pid!);
    say(
      `RSS after a 3,000-request warm-up (${warmUp.fiveHundreds} 5xx) and ${settleSeconds} s: ${before} MB (${await heapMb(url)})`,
    );

    // Several rounds tell growth that levels off (heap sizing, allocator arenas) from a leak.
    const rssAfterRounds: number[] = [];
    let result: Awaited<ReturnType<typeof runHostileRequests>> | undefined;
    let fiveHundreds = 0;
    let invalidAnswers = 0;
    for (let round = 1; round <= rounds; round++) {
      const started = Date.now();
      result = await runHostileRequests(target, total, concurrency, (done, byStatus) =>
        process.stderr.write(
          `  round ${round}: ${done}/${total}, RSS ${rssMb(ingress.pid!)} MB, so far ${JSON.stringify(byStatus)}\n`,
        ),
      );
      const seconds = (Date.now() - started) / 1000;
      // Sampled as the process settles: V8 gives back its grown young generation once idle.
      const settling: string[] = [];
      for (let waited = 0; waited < settleSeconds; waited += 5) {
        await sleep(5000);
        settling.push(`${waited + 5} s: ${rssMb(ingress.pid!)} MB`);
      }
      rssAfterRounds.push(rssMb(ingress.pid!));
      fiveHundreds += result.fiveHundreds;
      invalidAnswers += Object.keys(result.unexpected).length + (result.valid.sent - result.valid.accepted);

      say(
        `\nround ${round}: ${result.total} requests in ${seconds.toFixed(1)} s (${Math.round(result.total / seconds)}/s)`,
      );
      say('answers by status:');
      for (const [status, count] of Object.entries(result.byStatus).sort()) say(`  ${status.padEnd(7)} ${count}`);
      say(`5xx: ${result.fiveHundreds}`);
      say(
        `valid signed deliveries: ${result.valid.accepted}/${result.valid.sent} answered 202, p99 ${result.valid.p99Ms} ms`,
      );
      const unexpected = Object.entries(result.unexpected);
      say(`answers not allowed for their case: ${unexpected.length === 0 ? 'none' : ''}`);
      for (const [key, count] of unexpected) say(`  ${count} × ${key}`);
      say(`RSS while settling: ${settling.join(', ')}; then ${await heapMb(url)}`);
      say(
        `RSS ${settleSeconds} s after round ${round}: ${rssAfterRounds[round - 1]} MB (growth since the warm-up ${rssAfterRounds[round - 1]! - before} MB)`,
      );
    }
    say(`RSS after the warm-up ${before} MB, after each round: ${rssAfterRounds.join(', ')} MB`);
    if (errorLines.length > 0) say(`ingress error log lines: ${errorLines.length}; first: ${errorLines[0]}`);
    const ok = fiveHundreds === 0 && warmUp.fiveHundreds === 0 && invalidAnswers === 0;
    return ok ? 0 : 1;
  } finally {
    for (const cleanup of cleanups.reverse())
      await cleanup().catch((err: unknown) => say(`cleanup: ${(err as Error).message}`));
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
