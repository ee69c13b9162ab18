/**
 * Finds, or provisions, the `temporal` CLI whose `server start-dev` is tempohook's local
 * Temporal. Order: TEMPORAL_CLI_PATH → PATH → our cache → the SDK's download service →
 * `go install`. Provisioned binaries live in a per-user cache folder, never in the repo.
 */
import { execFile, spawn } from 'node:child_process';
import { constants as fsConstants, promises as fs, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { TempohookError } from '../errors';
import { createLogger, type Logger } from '../logger';

/** The CLI release tempohook provisions: the newest whose go.mod allows `go install …@version` (server 1.29.1). */
export const TEMPORAL_CLI_VERSION = '1.5.1';
const CLI_MODULE = 'github.com/temporalio/cli';
const MIN_GO_FOR_LOCAL_TOOLCHAIN: readonly [number, number] = [1, 25];
/** Oldest go that can fetch a newer toolchain on its own (GOTOOLCHAIN=auto). */
const MIN_GO_FOR_AUTO_TOOLCHAIN: readonly [number, number] = [1, 21];

export type TemporalCliSource = 'env' | 'path' | 'cache' | 'sdk-download' | 'go-install';

export interface ResolvedTemporalCli {
  path: string;
  source: TemporalCliSource;
}

/** Injection points so every branch can be exercised for real (tests pass an empty env, a temp cache, …). */
export interface ResolveTemporalCliOptions {
  /** Environment to read TEMPORAL_CLI_PATH, PATH, TEMPOHOOK_CACHE_DIR, XDG_CACHE_HOME, HOME, GOROOT from. Default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Look for `temporal` on PATH. Default true. */
  pathLookup?: boolean;
  /** Cache folder. Default {@link temporalCliCacheDir}(env). */
  cacheDir?: string;
  /** Try the download service the Temporal SDK uses. Default true. */
  allowDownload?: boolean;
  /** Base URL of that service. Default `https://temporal.download`. */
  downloadBaseUrl?: string;
  /** How long the first request to the download service may take. Default 3 s (offline fails at DNS, at once). */
  downloadProbeTimeoutMs?: number;
  /** Build the CLI with `go install` as a last resort. Default true. */
  allowGoInstall?: boolean;
  /** A `go` executable to use instead of looking in GOROOT, PATH and /usr/local/go. */
  goBinary?: string;
  /** How long to wait for another process that holds the build lock. Default 30 min. */
  lockWaitMs?: number;
  logger?: Logger;
}

interface Attempt {
  option: string;
  result: string;
}

/** The per-user folder that holds provisioned CLI builds: TEMPOHOOK_CACHE_DIR, $XDG_CACHE_HOME/tempohook or ~/.cache/tempohook. */
export function temporalCliCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.TEMPOHOOK_CACHE_DIR) return path.resolve(env.TEMPOHOOK_CACHE_DIR);
  if (env.XDG_CACHE_HOME) return path.join(path.resolve(env.XDG_CACHE_HOME), 'tempohook');
  return path.join(env.HOME || os.homedir(), '.cache', 'tempohook');
}

const exeName = process.platform === 'win32' ? 'temporal.exe' : 'temporal';

/** Where the provisioned binary lives inside a cache folder. */
export function cachedTemporalCliPath(cacheDir: string): string {
  return path.join(cacheDir, `temporal-cli-${TEMPORAL_CLI_VERSION}`, exeName);
}

/**
 * Resolves a `temporal` CLI binary, provisioning it into the cache when needed. Throws
 * `TempohookError('temporal_cli_unavailable')` listing every option and what each attempt said.
 */
export async function resolveTemporalCli(options: ResolveTemporalCliOptions = {}): Promise<ResolvedTemporalCli> {
  const env = options.env ?? process.env;
  const logger = options.logger ?? createLogger({ base: { component: 'temporal-cli' } });
  const cacheDir = options.cacheDir ?? temporalCliCacheDir(env);
  const cached = cachedTemporalCliPath(cacheDir);
  const attempts: Attempt[] = [];

  const fromEnv = env.TEMPORAL_CLI_PATH;
  if (fromEnv) {
    const problem = await executableProblem(fromEnv);
    if (problem) {
      throw new TempohookError(
        'temporal_cli_unavailable',
        `TEMPORAL_CLI_PATH=${fromEnv} ${problem}. Point TEMPORAL_CLI_PATH at a \`temporal\` executable, or unset it to let tempohook find or build one.`,
        500,
        { TEMPORAL_CLI_PATH: fromEnv },
      );
    }
    return { path: path.resolve(fromEnv), source: 'env' };
  }
  attempts.push({ option: 'TEMPORAL_CLI_PATH', result: 'not set' });

  if (options.pathLookup ?? true) {
    const onPath = await findOnPath(exeName, env.PATH ?? '');
    if (onPath) return { path: onPath, source: 'path' };
    attempts.push({ option: 'PATH', result: `no \`${exeName}\` executable in PATH` });
  } else {
    attempts.push({ option: 'PATH', result: 'lookup disabled' });
  }

  if (!(await executableProblem(cached))) return { path: cached, source: 'cache' };
  attempts.push({ option: 'cache', result: `${cached} does not exist` });

  const allowDownload = options.allowDownload ?? true;
  const allowGoInstall = options.allowGoInstall ?? true;
  if (!allowDownload) attempts.push({ option: 'download', result: 'disabled' });
  if (!allowGoInstall) attempts.push({ option: 'go install', result: 'disabled' });

  if (allowDownload || allowGoInstall) {
    await fs.mkdir(cacheDir, { recursive: true });
    const release = await acquireBuildLock(`${path.join(cacheDir, `temporal-cli-${TEMPORAL_CLI_VERSION}`)}.lock`, {
      waitMs: options.lockWaitMs ?? 30 * 60_000,
      logger,
    });
    try {
      // Another process may have provisioned it while we waited for the lock.
      if (!(await executableProblem(cached))) return { path: cached, source: 'cache' };

      if (allowDownload) {
        try {
          await downloadTemporalCli(cached, {
            baseUrl: options.downloadBaseUrl ?? 'https://temporal.download',
            probeTimeoutMs: options.downloadProbeTimeoutMs ?? 3000,
            logger,
          });
          return { path: cached, source: 'sdk-download' };
        } catch (err) {
          const result = errorText(err);
          attempts.push({ option: 'download', result });
          logger.info(`Temporal CLI download unavailable (${result}); falling through`);
        }
      }

      if (allowGoInstall) {
        try {
          await goInstallTemporalCli(cached, { env, goBinary: options.goBinary, logger });
          return { path: cached, source: 'go-install' };
        } catch (err) {
          attempts.push({ option: 'go install', result: errorText(err) });
        }
      }
    } finally {
      await release();
    }
  }

  throw unavailableError(attempts, cacheDir);
}

function unavailableError(attempts: Attempt[], cacheDir: string): TempohookError {
  const tried = attempts.map((a, i) => `  ${i + 1}. ${a.option}: ${a.result}`).join('\n');
  const message =
    `No Temporal CLI (\`temporal\`) is available. Tried, in order:\n${tried}\n` +
    `Do one of:\n` +
    `  - set TEMPORAL_CLI_PATH to a \`temporal\` executable (releases: https://github.com/temporalio/cli/releases, or \`brew install temporal\`);\n` +
    `  - put \`temporal\` on PATH;\n` +
    `  - set TEMPORAL_ADDRESS=host:port to use an existing Temporal server instead of starting a dev server;\n` +
    `  - install Go >= ${MIN_GO_FOR_LOCAL_TOOLCHAIN.join('.')} (https://go.dev/dl; /usr/local/go/bin/go is found even off PATH) so tempohook can run ` +
    `\`go install ${CLI_MODULE}/cmd/temporal@v${TEMPORAL_CLI_VERSION}\` (the first build takes several minutes);\n` +
    `  - or allow network access to https://temporal.download so the CLI can be downloaded.\n` +
    `Provisioned binaries go to ${cacheDir} (set TEMPOHOOK_CACHE_DIR to choose another folder).`;
  return new TempohookError('temporal_cli_unavailable', message, 500, { attempts, cacheDir });
}

/** Why `file` cannot be run, or undefined when it can. */
async function executableProblem(file: string): Promise<string | undefined> {
  let stat;
  try {
    stat = await fs.stat(file);
  } catch {
    return 'does not exist';
  }
  if (!stat.isFile()) return 'is not a file';
  try {
    await fs.access(file, fsConstants.X_OK);
  } catch {
    return 'is not executable (chmod +x it)';
  }
  return undefined;
}

async function findOnPath(name: string, searchPath: string): Promise<string | undefined> {
  for (const dir of searchPath.split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.resolve(dir, name);
    if (!(await executableProblem(candidate))) return candidate;
  }
  return undefined;
}

function errorText(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as Error & { cause?: unknown }).cause;
    return cause instanceof Error ? `${err.message}: ${cause.message}` : err.message;
  }
  return String(err);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------
// Build lock: exclusive create of a file holding our pid; a lock whose pid is gone (same host)
// or that is older than any plausible build is stale and taken over.

const LOCK_STALE_MS = 60 * 60_000;

async function acquireBuildLock(
  lockPath: string,
  opts: { waitMs: number; logger: Logger },
): Promise<() => Promise<void>> {
  const deadline = Date.now() + opts.waitMs;
  let announced = false;
  for (;;) {
    try {
      const handle = await fs.open(lockPath, 'wx');
      await handle.writeFile(
        JSON.stringify({ pid: process.pid, host: os.hostname(), startedAt: new Date().toISOString() }),
      );
      await handle.close();
      return async () => {
        await fs.rm(lockPath, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = await readLock(lockPath);
    if (holder === 'gone') continue;
    if (holder.stale) {
      opts.logger.warn('removing a stale Temporal CLI build lock', { lockPath, pid: holder.pid });
      await fs.rm(lockPath, { force: true });
      continue;
    }
    if (Date.now() > deadline) {
      throw new TempohookError(
        'temporal_cli_unavailable',
        `Timed out waiting for another process (pid ${holder.pid ?? '?'}) that is provisioning the Temporal CLI (lock ${lockPath}). ` +
          `If no such process runs, delete the lock file.`,
        500,
      );
    }
    if (!announced) {
      opts.logger.info('another process is provisioning the Temporal CLI; waiting for it', {
        lockPath,
        pid: holder.pid,
      });
      announced = true;
    }
    await sleep(1000);
  }
}

async function readLock(lockPath: string): Promise<'gone' | { pid?: number; stale: boolean }> {
  let text: string;
  let mtimeMs: number;
  try {
    [text, { mtimeMs }] = await Promise.all([fs.readFile(lockPath, 'utf8'), fs.stat(lockPath)]);
  } catch {
    return 'gone';
  }
  let info: { pid?: unknown; host?: unknown } = {};
  try {
    info = JSON.parse(text) as typeof info;
  } catch {
    // A lock caught between create and write has no content yet; age decides below.
  }
  const pid = typeof info.pid === 'number' ? info.pid : undefined;
  if (Date.now() - mtimeMs > LOCK_STALE_MS) return { pid, stale: true };
  if (pid !== undefined && info.host === os.hostname() && !processAlive(pid)) return { pid, stale: true };
  if (pid === undefined && Date.now() - mtimeMs > 10_000) return { pid, stale: true };
  return { pid, stale: false };
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

// ---------------------------------------------------------------------------------------------
// Download: the service @temporalio/testing's ephemeral server uses. It answers
// `GET /cli/<version>?arch&platform&format` with `{archiveUrl, fileToExtract}`.

async function downloadTemporalCli(
  dest: string,
  opts: { baseUrl: string; probeTimeoutMs: number; logger: Logger },
): Promise<void> {
  const arch = process.arch === 'x64' ? 'amd64' : process.arch === 'arm64' ? 'arm64' : undefined;
  if (!arch) throw new Error(`no download for CPU architecture ${process.arch}`);
  const platform = process.platform === 'win32' ? 'windows' : process.platform === 'darwin' ? 'darwin' : 'linux';
  const query = new URLSearchParams({
    arch,
    platform,
    format: 'tar.gz',
    'sdk-name': 'sdk-typescript',
    'sdk-version': sdkVersion(),
  });

  // We pin the CLI version rather than ask for the SDK's "default" so the cache folder's name stays true.
  let info: { archiveUrl: string; fileToExtract: string } | undefined;
  const refusals: string[] = [];
  for (const version of [`v${TEMPORAL_CLI_VERSION}`, TEMPORAL_CLI_VERSION]) {
    const url = `${opts.baseUrl}/cli/${version}?${query.toString()}`;
    const res = await fetch(url, { signal: AbortSignal.timeout(opts.probeTimeoutMs) }); // a network error ends the attempt
    if (!res.ok) {
      refusals.push(`${url} answered ${res.status}`);
      continue;
    }
    const body = (await res.json()) as { archiveUrl?: unknown; fileToExtract?: unknown };
    if (typeof body.archiveUrl !== 'string' || typeof body.fileToExtract !== 'string') {
      throw new Error(`${url} answered without archiveUrl/fileToExtract`);
    }
    info = { archiveUrl: body.archiveUrl, fileToExtract: body.fileToExtract };
    break;
  }
  if (!info) throw new Error(refusals.join('; '));

  opts.logger.info('downloading the Temporal CLI', { url: info.archiveUrl });
  const staging = await fs.mkdtemp(
    path.join(path.dirname(path.dirname(dest)), `temporal-cli-${TEMPORAL_CLI_VERSION}.download-`),
  );
  try {
    const res = await fetch(info.archiveUrl, { signal: AbortSignal.timeout(10 * 60_000) });
    if (!res.ok) throw new Error(`${info.archiveUrl} answered ${res.status}`);
    const archive = path.join(staging, 'cli.tar.gz');
    await fs.writeFile(archive, Buffer.from(await res.arrayBuffer()));
    await run('tar', ['-xzf', archive, '-C', staging, info.fileToExtract]);
    const binary = path.join(staging, info.fileToExtract);
    await fs.chmod(binary, 0o755);
    const version = await run(binary, ['--version']);
    if (!version.includes(TEMPORAL_CLI_VERSION)) {
      throw new Error(`the download is not CLI ${TEMPORAL_CLI_VERSION} (it says: ${version.trim()})`);
    }
    await installInto(binary, dest);
  } finally {
    await fs.rm(staging, { recursive: true, force: true });
  }
}

function sdkVersion(): string {
  try {
    return (JSON.parse(readFileSync(require.resolve('@temporalio/client/package.json'), 'utf8')) as { version: string })
      .version;
  } catch {
    return '1.24.0';
  }
}

/** Moves a finished binary into place atomically, so readers never see half a file. */
async function installInto(binary: string, dest: string): Promise<void> {
  await fs.mkdir(path.dirname(dest), { recursive: true });
  const tmp = `${dest}.${process.pid}.tmp`;
  await fs.copyFile(binary, tmp);
  await fs.chmod(tmp, 0o755);
  await fs.rename(tmp, dest);
}

function run(file: string, args: string[], env?: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { env, maxBuffer: 1024 * 1024, timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${path.basename(file)} ${args.join(' ')} failed: ${(stderr || err.message).trim()}`));
      else resolve(stdout);
    });
  });
}

// ---------------------------------------------------------------------------------------------
// go install

interface GoToolchain {
  path: string;
  version: [number, number, number];
}

const atLeast = (v: readonly [number, number, ...number[]], min: readonly [number, number]) =>
  v[0] > min[0] || (v[0] === min[0] && v[1] >= min[1]);

async function findGo(env: NodeJS.ProcessEnv, explicit: string | undefined): Promise<GoToolchain> {
  const goExe = process.platform === 'win32' ? 'go.exe' : 'go';
  const onPath = explicit ? undefined : await findOnPath(goExe, env.PATH ?? '');
  const candidates = explicit
    ? [explicit]
    : [
        ...(env.GOROOT ? [path.join(env.GOROOT, 'bin', goExe)] : []),
        ...(onPath ? [onPath] : []),
        '/usr/local/go/bin/go',
      ];
  const found: GoToolchain[] = [];
  const problems: string[] = [];
  for (const candidate of [...new Set(candidates)]) {
    const problem = await executableProblem(candidate);
    if (problem) {
      problems.push(`${candidate} ${problem}`);
      continue;
    }
    try {
      // GOTOOLCHAIN=local: report this toolchain's own version, never a switched-to one.
      const out = await run(candidate, ['version'], { ...process.env, ...env, GOTOOLCHAIN: 'local' });
      const m = /go(\d+)\.(\d+)(?:\.(\d+))?/.exec(out);
      if (!m) throw new Error(`unexpected \`go version\` output: ${out.trim()}`);
      found.push({ path: candidate, version: [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] });
    } catch (err) {
      problems.push(`${candidate}: ${errorText(err)}`);
    }
  }
  const best =
    found.find((g) => atLeast(g.version, MIN_GO_FOR_LOCAL_TOOLCHAIN)) ??
    found.find((g) => atLeast(g.version, MIN_GO_FOR_AUTO_TOOLCHAIN));
  if (best) return best;
  if (found.length > 0) {
    const list = found.map((g) => `${g.path} is go${g.version.join('.')}`).join(', ');
    throw new Error(`Go is too old (${list}); the CLI needs Go >= ${MIN_GO_FOR_LOCAL_TOOLCHAIN.join('.')}`);
  }
  throw new Error(`Go not found (${problems.join('; ') || 'looked in GOROOT, PATH and /usr/local/go/bin'})`);
}

async function goInstallTemporalCli(
  dest: string,
  opts: { env: NodeJS.ProcessEnv; goBinary: string | undefined; logger: Logger },
): Promise<void> {
  const go = await findGo(opts.env, opts.goBinary);
  const cacheDir = path.dirname(path.dirname(dest));
  const staging = await fs.mkdtemp(path.join(cacheDir, `temporal-cli-${TEMPORAL_CLI_VERSION}.build-`));
  const pkg = `${CLI_MODULE}/cmd/temporal@v${TEMPORAL_CLI_VERSION}`;
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...opts.env, GOBIN: staging };
  // A local go >= 1.25 builds it as is; an older one (>= 1.21) may fetch go1.25 itself (GOTOOLCHAIN=auto).
  if (atLeast(go.version, MIN_GO_FOR_LOCAL_TOOLCHAIN)) childEnv.GOTOOLCHAIN = 'local';
  else delete childEnv.GOTOOLCHAIN;

  opts.logger.info('building the Temporal CLI with go install; first build takes several minutes', {
    go: go.path,
    goVersion: go.version.join('.'),
    package: pkg,
    into: dest,
  });
  const started = Date.now();
  try {
    await new Promise<void>((resolve, reject) => {
      const child = spawn(
        go.path,
        ['install', `-ldflags=-X ${CLI_MODULE}/temporalcli.Version=${TEMPORAL_CLI_VERSION}`, pkg],
        {
          cwd: cacheDir, // outside any module, so the user's go.mod cannot interfere
          env: childEnv,
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      const tail: string[] = [];
      const onLine = (line: string) => {
        tail.push(line);
        if (tail.length > 20) tail.shift();
        opts.logger.info(`go install: ${line}`);
      };
      createInterface({ input: child.stdout }).on('line', onLine);
      createInterface({ input: child.stderr }).on('line', onLine);
      // Compiling prints nothing for minutes; say that it is still alive.
      const heartbeat = setInterval(() => {
        opts.logger.info(
          `go install: still building the Temporal CLI (${Math.round((Date.now() - started) / 1000)} s)`,
        );
      }, 30_000);
      child.on('error', (err) => {
        clearInterval(heartbeat);
        reject(err);
      });
      child.on('close', (code, signal) => {
        clearInterval(heartbeat);
        if (code === 0) resolve();
        else reject(new Error(`go install exited with ${signal ?? `code ${code}`}: ${tail.slice(-5).join(' | ')}`));
      });
    });
    const built = path.join(staging, exeName);
    const problem = await executableProblem(built);
    if (problem) throw new Error(`go install succeeded but ${built} ${problem}`);
    await installInto(built, dest);
    opts.logger.info('built the Temporal CLI', { path: dest, seconds: Math.round((Date.now() - started) / 1000) });
  } finally {
    await fs.rm(staging, { recursive: true, force: true });
  }
}
