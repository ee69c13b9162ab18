/**
 * The local Temporal tempohook runs for `npm start` and tests (`temporal server start-dev`),
 * search-attribute provisioning for any server, and the one way processes connect to Temporal.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { createInterface } from 'node:readline';
import { Connection, isGrpcServiceError, type OperatorService } from '@temporalio/client';
import { SearchAttributeType } from '@temporalio/common';
import { TempohookError } from '../errors';
import { createLogger, type Logger } from '../logger';
import { tempohookSearchAttributes } from '../workflows/definitions';
import { resolveTemporalCli } from './cli-binary';

/** A search attribute to register: `type` as in the SDK (`KEYWORD_LIST`) or as the CLI spells it (`KeywordList`). */
export interface SearchAttributeSpec {
  name: string;
  type: SearchAttributeType | CliSearchAttributeType;
}

export type CliSearchAttributeType = 'Text' | 'Keyword' | 'Int' | 'Double' | 'Bool' | 'Datetime' | 'KeywordList';

const CLI_TYPE: Record<SearchAttributeType, CliSearchAttributeType> = {
  TEXT: 'Text',
  KEYWORD: 'Keyword',
  INT: 'Int',
  DOUBLE: 'Double',
  BOOL: 'Bool',
  DATETIME: 'Datetime',
  KEYWORD_LIST: 'KeywordList',
};

type IndexedValueType = NonNullable<Parameters<OperatorService['addSearchAttributes']>[0]['searchAttributes']>[string];
// temporal.api.enums.v1.IndexedValueType, which @temporalio/client does not re-export.
const INDEXED_VALUE_TYPE: Record<SearchAttributeType, number> = {
  TEXT: 1,
  KEYWORD: 2,
  INT: 3,
  DOUBLE: 4,
  BOOL: 5,
  DATETIME: 6,
  KEYWORD_LIST: 7,
};

function sdkType(spec: SearchAttributeSpec): SearchAttributeType {
  if (spec.type in CLI_TYPE) return spec.type as SearchAttributeType;
  const found = (Object.keys(CLI_TYPE) as SearchAttributeType[]).find((k) => CLI_TYPE[k] === spec.type);
  if (!found) {
    throw new TempohookError(
      'invalid_search_attribute',
      `Search attribute ${spec.name} has unknown type "${String(spec.type)}"; use one of ${Object.values(CLI_TYPE).join(', ')}.`,
      500,
    );
  }
  return found;
}

export interface DevServerOptions {
  /** The `temporal` executable. Default: {@link resolveTemporalCli}(). */
  cliPath?: string;
  /** Default 127.0.0.1. */
  ip?: string;
  /** gRPC port. Default 7233; 0 picks a free port. */
  port?: number;
  /** Web UI port. Default 8233; 0 picks a free port. Ignored when headless. */
  uiPort?: number;
  /** Run without the Web UI. */
  headless?: boolean;
  /** SQLite file to persist to (e.g. under `.tempohook/`); in memory when unset. */
  dbFilename?: string;
  /** Default `default`. */
  namespace?: string;
  /** Server log level. Default `warn`. */
  logLevel?: 'debug' | 'info' | 'warn' | 'error' | 'never';
  /** Registered in addition to {@link tempohookSearchAttributes}. */
  extraSearchAttributes?: SearchAttributeSpec[];
  /** Appended to the command line as is. */
  extraArgs?: string[];
  /** How long to wait for the server to answer. Default 60 s. */
  readyTimeoutMs?: number;
  logger?: Logger;
  /** Each line the server prints (it is otherwise kept only for error messages). */
  onOutput?: (line: string, stream: 'stdout' | 'stderr') => void;
}

/** A running `temporal server start-dev`. */
export interface DevServer {
  /** `host:port` for TEMPORAL_ADDRESS. */
  address: string;
  namespace: string;
  uiUrl?: string;
  process: ChildProcess;
  /** SIGTERM, then SIGKILL after 10 s; resolves once the process is gone. Safe to call twice. */
  stop(): Promise<void>;
}

/** The search attributes every tempohook server carries, plus `extra`. */
export function devServerSearchAttributes(extra: SearchAttributeSpec[] = []): SearchAttributeSpec[] {
  const all: SearchAttributeSpec[] = [
    ...tempohookSearchAttributes.map((k) => ({ name: k.name, type: k.type })),
    ...extra,
  ];
  return [...new Map(all.map((s) => [s.name, s])).values()];
}

/** Starts `temporal server start-dev` and resolves once it answers gRPC with our search attributes registered. */
export async function startDevServer(options: DevServerOptions = {}): Promise<DevServer> {
  const logger = options.logger ?? createLogger({ base: { component: 'temporal-dev-server' } });
  const cliPath = options.cliPath ?? (await resolveTemporalCli({ logger })).path;
  const ip = options.ip ?? '127.0.0.1';
  const namespace = options.namespace ?? 'default';
  const port = await choosePort(ip, options.port ?? 7233, 'port');
  const uiPort = options.headless ? undefined : await choosePort(ip, options.uiPort ?? 8233, 'UI port');
  const searchAttributes = devServerSearchAttributes(options.extraSearchAttributes);

  const args = ['server', 'start-dev', '--ip', ip, '--port', String(port)];
  args.push(...(uiPort === undefined ? ['--headless'] : ['--ui-port', String(uiPort)]));
  if (options.dbFilename) args.push('--db-filename', options.dbFilename);
  args.push('--namespace', namespace, '--log-level', options.logLevel ?? 'warn');
  args.push('--dynamic-config-value', 'frontend.enableUpdateWorkflowExecution=true');
  args.push('--dynamic-config-value', 'frontend.enableUpdateWorkflowExecutionAsyncAccepted=true');
  for (const sa of searchAttributes) args.push('--search-attribute', `${sa.name}=${CLI_TYPE[sdkType(sa)]}`);
  args.push(...(options.extraArgs ?? []));

  const host = ip.includes(':') ? `[${ip}]` : ip;
  const address = `${host}:${port}`;
  logger.debug('starting temporal dev server', { cliPath, args });
  const child = spawn(cliPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });

  const tail: string[] = [];
  const collect = (stream: 'stdout' | 'stderr') => (line: string) => {
    if (!line.trim()) return;
    tail.push(line);
    if (tail.length > 40) tail.shift();
    options.onOutput?.(line, stream);
  };
  createInterface({ input: child.stdout }).on('line', collect('stdout'));
  createInterface({ input: child.stderr }).on('line', collect('stderr'));

  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>((resolve) => {
    child.once('error', (error) => resolve({ code: null, signal: null, error }));
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  // A parent that exits without calling stop() must not leave a server behind.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      process.removeListener('exit', killOnExit);
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    })());

  const gaveUp = new AbortController();
  void exited.then(() => gaveUp.abort());
  try {
    const connection = await Promise.race([
      waitUntilReady(address, options.readyTimeoutMs ?? 60_000, gaveUp.signal),
      exited.then(({ code, signal, error }) => {
        const how = error ? `could not be started (${error.message})` : `exited with ${signal ?? `code ${code}`}`;
        throw new TempohookError(
          'temporal_dev_server_failed',
          `temporal server start-dev ${how} before it was ready. Its last output:\n${tail.join('\n') || '(none)'}`,
          500,
          { cliPath, args },
        );
      }),
    ]);
    try {
      // A --db-filename from an earlier run keeps its namespace, and start-dev only registers
      // search attributes when it creates one: add whatever is missing.
      await ensureSearchAttributes(connection, namespace, searchAttributes);
    } finally {
      await connection.close();
    }
  } catch (err) {
    await stop();
    if (err instanceof TempohookError) throw err;
    throw new TempohookError(
      'temporal_dev_server_failed',
      `temporal server start-dev did not become ready at ${address}: ${(err as Error).message}. Its last output:\n${tail.join('\n') || '(none)'}`,
      500,
    );
  }

  const uiUrl = uiPort === undefined ? undefined : `http://${host}:${uiPort}`;
  logger.debug('temporal dev server ready', { address, uiUrl });
  return { address, namespace, uiUrl, process: child, stop };
}

async function choosePort(ip: string, wanted: number, what: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(
        err.code === 'EADDRINUSE'
          ? new TempohookError(
              'temporal_port_in_use',
              `Cannot start the Temporal dev server: ${what} ${ip}:${wanted} is in use. If a Temporal server already runs there, ` +
                `set TEMPORAL_ADDRESS=${ip}:${wanted} to use it; otherwise stop what holds the port or choose another one.`,
              500,
            )
          : err,
      );
    });
    server.listen(wanted, ip, () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

/** Polls until the server answers; stops early (rejecting) once `signal` aborts, i.e. the process died. */
async function waitUntilReady(address: string, timeoutMs: number, signal: AbortSignal): Promise<Connection> {
  const deadline = Date.now() + timeoutMs;
  const polling = () => Date.now() < deadline && !signal.aborted;
  const [host, portText] = splitAddress(address);
  let lastError: unknown;
  // TCP first: cheap to poll, whereas a gRPC connect to a closed port waits out its backoff.
  while (polling()) {
    if (await tcpAccepts(host, Number(portText))) break;
    await sleep(50);
  }
  while (polling()) {
    let connection: Connection | undefined;
    try {
      connection = await Connection.connect({
        address,
        connectTimeout: Math.max(500, Math.min(5000, deadline - Date.now())),
      });
      await connection.workflowService.getSystemInfo({});
      if (!signal.aborted) return connection;
      await connection.close();
    } catch (err) {
      lastError = err;
      await connection?.close().catch(() => undefined);
      await sleep(100);
    }
  }
  throw new Error(
    `no answer within ${Math.round(timeoutMs / 1000)} s${lastError ? ` (${(lastError as Error).message})` : ''}`,
  );
}

function splitAddress(address: string): [string, string] {
  const i = address.lastIndexOf(':');
  return [address.slice(0, i).replace(/^\[|\]$/g, ''), address.slice(i + 1)];
}

function tcpAccepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const GRPC_ALREADY_EXISTS = 6;

/**
 * Registers the search attributes a namespace lacks (for TEMPORAL_ADDRESS servers; the dev
 * server gets them on its command line). Idempotent; returns the names it added.
 */
export async function ensureSearchAttributes(
  connection: Connection,
  namespace: string,
  keys: readonly SearchAttributeSpec[] = devServerSearchAttributes(),
): Promise<string[]> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const known = new Set([
    ...Object.keys(existing.customAttributes ?? {}),
    ...Object.keys(existing.systemAttributes ?? {}),
  ]);
  const missing = keys.filter((k) => !known.has(k.name));
  if (missing.length === 0) return [];
  const searchAttributes: Record<string, IndexedValueType> = {};
  for (const k of missing) searchAttributes[k.name] = INDEXED_VALUE_TYPE[sdkType(k)];
  try {
    await connection.operatorService.addSearchAttributes({ namespace, searchAttributes });
  } catch (err) {
    // Another process may have added them between our list and add.
    if (isGrpcServiceError(err) && Number(err.code) === GRPC_ALREADY_EXISTS) return [];
    const names = missing.map((k) => `${k.name}=${CLI_TYPE[sdkType(k)]}`).join(', ');
    throw new TempohookError(
      'temporal_search_attributes',
      `Could not register search attributes ${names} in namespace ${namespace}: ${(err as Error).message}. ` +
        `Register them yourself (e.g. \`temporal operator search-attribute create --namespace ${namespace} --name NAME --type TYPE\`, ` +
        `or in the Temporal Cloud UI/tcld for Cloud namespaces).`,
      500,
    );
  }
  return missing.map((k) => k.name);
}

// Kept importable from here as well: connecting is the other half of running a server.
export { connectTemporal, type TemporalConnectionConfig } from './connection';
