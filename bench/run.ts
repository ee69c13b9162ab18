/**
 * `npm run bench`: every benchmark prints its figures beside a baseline measured in the same
 * run, as a ratio, plus absolute numbers for context. Uses its own Temporal dev server
 * (or TEMPORAL_ADDRESS) and PostgreSQL (DATABASE_URL, default the local test database).
 */
import { randomUUID } from 'node:crypto';
import { createStore } from '../src/store';
import { resolveTemporalCli } from '../src/temporal/cli-binary';
import { connectTemporal } from '../src/temporal/connection';
import { startDevServer } from '../src/temporal/dev-server';
import { benchIngressThroughput, type CpuPerDelivery, type ThroughputResult } from './ingress-throughput';
import type { LoadResult } from './load-generator';
import { runConditionsBench } from './conditions';
import { benchNotifications, type MeasuredCase } from './notify';
import { runVerifyBench } from './verify';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { benchWaits } from './waits';
import { benchRoutes } from './routes';
import { benchDeliverySearch } from './delivery-search';

const DELIVERIES = Number(process.env.BENCH_DELIVERIES ?? 2000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);

function row(r: ThroughputResult): string {
  return `  ${r.label.padEnd(36)} ${r.perSecond.toFixed(0).padStart(7)}/s   p50 ${r.p50Ms.toFixed(1).padStart(6)} ms   p99 ${r.p99Ms.toFixed(1).padStart(6)} ms   ${r.count} in ${r.seconds.toFixed(2)} s${r.failures ? `   FAILURES ${r.failures}` : ''}`;
}

/** An HTTP row: all deliveries, then first deliveries and repeats apart when both occur. */
function httpRow(label: string, load: LoadResult): string {
  const { all, first, duplicate } = load;
  const failed = load.failures ? `   FAILURES ${load.failures} ${JSON.stringify(load.statuses)}` : '';
  let line = `  ${label.padEnd(36)} ${all.perSecond.toFixed(0).padStart(7)}/s   p50 ${all.p50Ms.toFixed(1).padStart(6)} ms   p99 ${all.p99Ms.toFixed(1).padStart(6)} ms   ${all.count} in ${load.seconds.toFixed(2)} s${failed}`;
  if (first.count > 0 && duplicate.count > 0)
    line += `\n  ${''.padEnd(36)} first deliveries ${first.count}: p50 ${first.p50Ms.toFixed(1)} ms, p99 ${first.p99Ms.toFixed(1)} ms; repeats ${duplicate.count}: p50 ${duplicate.p50Ms.toFixed(1)} ms, p99 ${duplicate.p99Ms.toFixed(1)} ms`;
  return line;
}

/** CPU per delivery of a row: the server process, its PostgreSQL backends, the Temporal dev server. */
function cpuRow(cpu: CpuPerDelivery | undefined): string {
  if (!cpu) return '';
  const backends = cpu.backends > 0 ? ` + PG backends ${cpu.backendsMs.toFixed(2)} (${cpu.backends})` : '';
  const temporal = cpu.temporalMs === undefined ? '' : `; Temporal dev server ${cpu.temporalMs.toFixed(2)}`;
  return `\n  ${''.padEnd(36)} CPU ms/delivery: server ${cpu.serverMs.toFixed(2)}${backends} = ${(cpu.serverMs + cpu.backendsMs).toFixed(2)}${temporal}`;
}

async function printNotifyBench(
  input: Pick<Parameters<typeof benchNotifications>[0], 'store' | 'client' | 'connection'>,
): Promise<void> {
  const runs = Number(process.env.BENCH_NOTIFY_RUNS ?? 300);
  console.log(
    `\n# Lifecycle notifications: ${runs} runs of a 3-activity workflow, ${CONCURRENCY} concurrent, one worker; receiver on 127.0.0.1`,
  );
  // BENCH_NOTIFY_ONLY=latency: just the one-at-a-time rows (off and receiver down).
  const only = process.env.BENCH_NOTIFY_ONLY === 'latency' ? ('latency' as const) : undefined;
  const notify = await benchNotifications({
    ...input,
    namespace: 'default',
    count: runs,
    concurrency: CONCURRENCY,
    ...(only ? { only } : {}),
    rounds: Number(process.env.BENCH_NOTIFY_ROUNDS ?? 3),
  });
  const { off } = notify;
  if (off && notify.handOff && notify.on && notify.ten) {
    // Per event (5 per run, whatever the number of subscriptions): the case's CPU and statements per run beyond the "off" case's.
    const perEvent = (c: MeasuredCase) => {
      const cpu = (c.cpuMs / c.runs - off.cpuMs / off.runs) / 5;
      const sql = (c.statements / c.runs - off.statements / off.runs) / 5;
      return `+${(cpu * 1000).toFixed(0)} µs CPU/event, ${sql.toFixed(2)} statements/event`;
    };
    const ratio = (c: MeasuredCase) => `${(c.perSecond / off.perSecond).toFixed(2)}x off`;
    console.log(row(off));
    console.log(`${row(notify.handOff)}   ${ratio(notify.handOff)}   ${perEvent(notify.handOff)}`);
    console.log(`${row(notify.on)}   ${ratio(notify.on)}   ${perEvent(notify.on)}`);
    console.log(`${row(notify.ten)}   ${ratio(notify.ten)}   ${perEvent(notify.ten)}`);
    const rounds = notify.roundRatios;
    if (rounds && rounds.handOff.length > 1) {
      const list = (ratios: number[]) => ratios.map((r) => `${r.toFixed(2)}x`).join(', ');
      console.log(
        `  the four cases alternated ${rounds.handOff.length} times (median rounds shown); each / off by round: no subscription ${list(rounds.handOff)}; 1 subscription ${list(rounds.on)}; 10 subscriptions ${list(rounds.ten)}`,
      );
    }
    console.log(
      `  1 subscription: ${notify.delivered}/${notify.expected} events (5 per run) delivered at most ${notify.drainSeconds?.toFixed(1)} s after the last run completed; ` +
        `10 subscriptions: ${notify.tenDelivered}/${notify.tenExpected} in ${notify.tenDrainSeconds?.toFixed(1)} s`,
    );
  }
  console.log(row(notify.offLatency));
  console.log(row(notify.down));
  const added = (p: 'p50Ms' | 'p99Ms') => (notify.down[p] - notify.offLatency[p]).toFixed(1);
  console.log(
    `  added completion latency with the receiver down: p50 ${added('p50Ms')} ms, p99 ${added('p99Ms')} ms (${(notify.down.p50Ms / notify.offLatency.p50Ms).toFixed(2)}x p50)`,
  );
}

async function printWaitsBench(deps: Parameters<typeof benchWaits>[0]) {
  console.log('\n# Waits: a delivery matching 1 wait among many unrelated open waits (sequential, signal included)');
  const waits = await benchWaits(deps);
  const base = waits.latency[0]!.result;
  for (const { result } of waits.latency) {
    console.log(
      `${row(result)}   ratio p50 ${(result.p50Ms / base.p50Ms).toFixed(2)}x  p99 ${(result.p99Ms / base.p99Ms).toFixed(2)}x`,
    );
  }
  const r = waits.resume;
  console.log(`\n# Waits: one delivery resuming ${r.workflows} waiting workflows`);
  console.log(`  registration of ${r.workflows} waits (start → all open): ${(r.registerMs / 1000).toFixed(2)} s`);
  console.log(`  delivery answered 202 (claims committed):  ${(r.answerMs / 1000).toFixed(2)} s`);
  console.log(`  ${r.workflows} signals sent (in the background):    ${(r.signalsDoneMs / 1000).toFixed(2)} s`);
  console.log(`  all ${r.workflows} workflows completed:               ${(r.allResumedMs / 1000).toFixed(2)} s`);
  console.log(
    `  bare handle.signal loop, 32 at once:     ${(r.bareSignalsMs / 1000).toFixed(2)} s to signal, ${(r.bareAllResumedMs / 1000).toFixed(2)} s to all completed`,
  );
  console.log(
    `  ratio ingress / bare: ${(r.signalsDoneMs / r.bareSignalsMs).toFixed(2)}x to signal, ${(r.allResumedMs / r.bareAllResumedMs).toFixed(2)}x to all completed`,
  );
}

async function main() {
  const cleanups: Array<() => Promise<unknown>> = [];
  try {
    let address = process.env.TEMPORAL_ADDRESS;
    let temporalPid: number | undefined;
    if (!address) {
      const cli = await resolveTemporalCli();
      const server = await startDevServer({ cliPath: cli.path, port: 0, headless: true });
      cleanups.push(() => server.stop());
      address = server.address;
      temporalPid = server.process.pid;
    }
    const temporal = await connectTemporal({ address, namespace: 'default' });
    cleanups.push(() => temporal.connection.close());
    const schema = `bench_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
    const databaseUrl = process.env.DATABASE_URL ?? 'postgres://root@127.0.0.1:5432/test';
    const store = await createStore({
      databaseUrl,
      schema,
      poolMax: 20,
    });
    cleanups.push(async () => {
      await store.db.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await store.close();
    });

    const only = process.env.BENCH_ONLY; // ingress, routes, verify, conditions, waits, notify or search: run just that one
    const runs = (part: string) => !only || only === part;
    let nativeConnection: NativeConnection | undefined;
    const workerConnection = async () => {
      if (nativeConnection) return nativeConnection;
      // ERROR: worker lifecycle lines and the receiver-down attempts (logged at WARN) would bury the figures.
      Runtime.install({ logger: new DefaultLogger('ERROR') });
      nativeConnection = await NativeConnection.connect({ address });
      const opened = nativeConnection;
      cleanups.push(() => opened.close());
      return opened;
    };
    if (runs('ingress')) {
      console.log(
        `\n# Ingress throughput: ${DELIVERIES} deliveries per row, ${CONCURRENCY} concurrent senders, generic profile, ~0.5 KiB bodies; ` +
          'each HTTP server in its own process, loaded from another',
      );
      const { baseline, rows } = await benchIngressThroughput({
        client: temporal.client,
        temporalAddress: address,
        databaseUrl,
        count: DELIVERIES,
        concurrency: CONCURRENCY,
        temporalPid,
      });
      console.log(row(baseline));
      for (const { label, load, cpu } of rows) console.log(httpRow(label, load) + cpuRow(cpu));
      const find = (label: string) => rows.find((r) => r.label === label)?.load;
      const glue = find('glue');
      const ratios = (name: string, load: LoadResult | undefined, base: { perSecond: number; p50Ms: number }) =>
        load
          ? `  ${name}: ${(load.all.perSecond / base.perSecond).toFixed(2)}x throughput, ${(load.all.p50Ms / base.p50Ms).toFixed(2)}x p50`
          : '';
      console.log(ratios('glue / bare start', glue, baseline));
      for (const label of ['ingress (PostgreSQL)', 'ingress (PGlite)']) {
        const load = find(label);
        console.log(ratios(`${label} / bare start`, load, baseline));
        if (glue) console.log(ratios(`${label} / glue`, load, glue.all));
      }
      // CPU per delivery: on a shared machine, the figure that moves least with its load.
      const cpuOf = (label: string) => rows.find((r) => r.label === label)?.cpu;
      for (const suffix of ['', ', 30% repeats', ', repeats only']) {
        const glueCpu = cpuOf(`glue${suffix}`);
        for (const label of ['ingress (PostgreSQL)', 'ingress (PGlite)']) {
          const cpu = cpuOf(`${label}${suffix}`);
          if (!glueCpu || !cpu) continue;
          const total = cpu.serverMs + cpu.backendsMs;
          console.log(
            `  ${label}${suffix} / glue CPU per delivery: ${(total / glueCpu.serverMs).toFixed(2)}x (${total.toFixed(2)} ms / ${glueCpu.serverMs.toFixed(2)} ms)`,
          );
        }
      }
      const pg = find('ingress (PostgreSQL)');
      const pglite = find('ingress (PGlite)');
      if (pg && pglite) console.log(ratios('ingress PGlite / PostgreSQL', pglite, pg.all));
      const alone = find('ingress (PostgreSQL), repeats one at a time');
      const glueAlone = find('glue, repeats one at a time');
      if (alone && glueAlone)
        console.log(
          `  a repeat one at a time: ingress p50 ${alone.all.p50Ms.toFixed(2)} ms (answered from the reservation), glue p50 ${glueAlone.all.p50Ms.toFixed(2)} ms (asks Temporal)`,
        );
      const repeats = find('ingress (PostgreSQL), repeats only');
      if (pg && repeats)
        console.log(
          `  repeats only / first deliveries (PostgreSQL): ${(repeats.all.perSecond / pg.all.perSecond).toFixed(1)}x throughput, p50 ${repeats.all.p50Ms.toFixed(1)} ms`,
        );
    }
    if (runs('routes')) {
      const count = Number(process.env.BENCH_ROUTE_DELIVERIES ?? Math.ceil(DELIVERIES / 4));
      console.log(
        `\n# Routes: ${count} deliveries to 3 start routes (mode all) vs 3 bare starts each (at once), ${CONCURRENCY} concurrent`,
      );
      const { baseline, ingress } = await benchRoutes({
        store,
        client: temporal.client,
        count,
        concurrency: CONCURRENCY,
      });
      console.log(row(baseline));
      console.log(row(ingress));
      console.log(
        `  ratio routed delivery / 3 bare starts: ${(ingress.perSecond / baseline.perSecond).toFixed(2)}x throughput, ${(ingress.p50Ms / baseline.p50Ms).toFixed(2)}x p50 latency`,
      );
    }
    if (runs('verify')) {
      console.log("\n# Verification cost per delivery (ours vs the providers' own libraries)");
      await runVerifyBench();
    }
    if (runs('conditions')) {
      console.log(
        '\n# Custom conditions per delivery (ours vs the library call each wraps; the rate limit vs a bare round trip)',
      );
      await runConditionsBench(store);
    }
    if (runs('search')) {
      const rows = Number(process.env.BENCH_SEARCH_ROWS ?? 1_000_000);
      console.log(
        `\n# Delivery log search over HTTP: one webhook with ${rows.toLocaleString('en')} deliveries over 30 days, pages of 50, PostgreSQL`,
      );
      const search = await benchDeliverySearch({ store, client: temporal.client, rows });
      console.log(`  filled in ${search.fillSeconds.toFixed(1)} s (one INSERT … SELECT, then ANALYZE)`);
      const searchRow = (r: { label: string; p50Ms: number; p99Ms: number; items: number }) =>
        `  ${r.label.padEnd(40)} p50 ${r.p50Ms.toFixed(1).padStart(6)} ms   p99 ${r.p99Ms.toFixed(1).padStart(6)} ms   ${String(r.items).padStart(2)} items`;
      console.log(searchRow(search.baseline));
      for (const r of search.filtered)
        console.log(`${searchRow(r)}   ${(r.p50Ms / search.baseline.p50Ms).toFixed(2)}x unfiltered p50`);
      const worst = Math.max(...search.filtered.map((r) => r.p99Ms));
      console.log(`  slowest filter p99 ${worst.toFixed(1)} ms (target: every filter ≤ 50 ms)`);
    }
    if (runs('waits'))
      await printWaitsBench({ store, client: temporal.client, nativeConnection: await workerConnection() });
    if (runs('notify'))
      await printNotifyBench({ store, client: temporal.client, connection: await workerConnection() });
  } finally {
    for (const fn of cleanups.reverse())
      await fn().catch((err: unknown) => console.error('cleanup failed:', (err as Error).message));
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
