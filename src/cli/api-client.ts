/**
 * What the resource commands (apply, get, delete, send) share: a `CliContext` (environment,
 * output writers, stdin, fetch — injectable so tests run the commands in-process) and a small
 * client for the management API that turns API errors into `TempohookError`s.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { TempohookError } from '../errors';

export const DEFAULT_TEMPOHOOK_URL = 'http://127.0.0.1:8080';
const REQUEST_TIMEOUT_MS = 30_000;

/** Everything a command reads from or writes to the outside world. */
export interface CliContext {
  env: NodeJS.ProcessEnv;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** The whole of standard input, for `-f -` and `--data @-`. */
  readStdin: () => Promise<string>;
  fetch: typeof fetch;
  /** Relative file names are resolved against it. */
  cwd: string;
}

async function readProcessStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks).toString('utf8');
}

/** The context of a real `tempohook` process; `overrides` replace parts of it (tests). */
export function createCliContext(overrides: Partial<CliContext> = {}): CliContext {
  return {
    env: process.env,
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    readStdin: readProcessStdin,
    fetch: (input, init) => globalThis.fetch(input, init),
    cwd: process.cwd(),
    ...overrides,
  };
}

/**
 * Runs a command body and reports a `TempohookError` the way `main` does
 * (`error [code]: message`), so in-process callers see what a user sees.
 * Usage mistakes exit 2, other errors 1.
 */
export async function runReported(ctx: CliContext, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (err) {
    if (err instanceof TempohookError) {
      ctx.stderr(`error [${err.code}]: ${err.message}\n`);
      return err.code === 'usage' ? 2 : 1;
    }
    throw err;
  }
}

/** `TEMPOHOOK_URL` without a trailing slash, or the local default. */
export function baseUrlOf(env: NodeJS.ProcessEnv): string {
  const raw = env.TEMPOHOOK_URL?.trim() || DEFAULT_TEMPOHOOK_URL;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new TempohookError(
      'invalid_config',
      `TEMPOHOOK_URL "${raw}" is not a URL; use e.g. ${DEFAULT_TEMPOHOOK_URL}.`,
      400,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TempohookError('invalid_config', `TEMPOHOOK_URL "${raw}" must be an http:// or https:// URL.`, 400);
  }
  return raw.replace(/\/+$/, '');
}

/** Why a request never got an answer, said so the user knows what to do. */
function unreachableError(baseUrl: string, err: unknown): TempohookError {
  const error = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = error.cause?.code;
  if (error.name === 'TimeoutError' || error.name === 'AbortError') {
    return new TempohookError(
      'unreachable',
      `${baseUrl} did not answer within ${REQUEST_TIMEOUT_MS / 1000} s. Is TEMPOHOOK_URL the ingress's address?`,
      503,
    );
  }
  if (code === 'ECONNREFUSED') {
    return new TempohookError(
      'unreachable',
      `Nothing is listening at ${baseUrl} (connection refused). Start tempohook with \`npm start\`, or set TEMPOHOOK_URL to where the ingress listens.`,
      503,
    );
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new TempohookError('unreachable', `The host of ${baseUrl} cannot be resolved. Check TEMPOHOOK_URL.`, 503);
  }
  const detail = code ?? error.cause?.message ?? error.message ?? String(err);
  return new TempohookError(
    'unreachable',
    `Cannot reach tempohook at ${baseUrl} (${detail}). Start it with \`npm start\`, or set TEMPOHOOK_URL.`,
    503,
  );
}

/** `fetch` with a timeout, where a network failure becomes a `TempohookError` naming the URL. */
export async function fetchOrExplain(
  ctx: CliContext,
  baseUrl: string,
  url: string,
  init: RequestInit = {},
): Promise<Response> {
  try {
    return await ctx.fetch(url, { ...init, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  } catch (err) {
    throw unreachableError(baseUrl, err);
  }
}

export interface ApiResponse<T> {
  status: number;
  body: T;
}

export type Query = Record<string, string | number | undefined>;
export type ApiMethod = 'GET' | 'PUT' | 'POST' | 'DELETE';

/** The management API as the CLI uses it; every method throws `TempohookError` on an error answer. */
export interface ApiClient {
  readonly baseUrl: string;
  request<T = unknown>(
    method: ApiMethod,
    path: string,
    options?: { query?: Query; body?: unknown },
  ): Promise<ApiResponse<T>>;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * `TEMPOHOOK_TOKEN` (an API token, or the admin token), else `TEMPOHOOK_ADMIN_TOKEN`, or — for an
 * ingress on this machine — the token `tempohook dev` keeps in its data dir, so a second terminal
 * next to `npm start` needs no export.
 */
async function adminTokenOf(ctx: CliContext, baseUrl: string): Promise<string> {
  const fromEnv = ctx.env.TEMPOHOOK_TOKEN?.trim() || ctx.env.TEMPOHOOK_ADMIN_TOKEN?.trim();
  if (fromEnv) return fromEnv;
  if (LOOPBACK_HOSTS.has(new URL(baseUrl).hostname)) {
    try {
      const fromFile = (
        await readFile(resolve(ctx.cwd, ctx.env.TEMPOHOOK_DATA_DIR || '.tempohook', 'admin-token'), 'utf8')
      ).trim();
      if (fromFile) return fromFile;
    } catch {
      // No dev data dir here: fall through to the explanation.
    }
  }
  throw new TempohookError(
    'admin_token_missing',
    'Neither TEMPOHOOK_TOKEN nor TEMPOHOOK_ADMIN_TOKEN is set. `npm start` prints the admin token when it starts (export TEMPOHOOK_ADMIN_TOKEN=…); for another ingress, use the token it was started with or an API token (TEMPOHOOK_TOKEN=thk_…).',
    400,
  );
}

/** Reads `TEMPOHOOK_URL` and the admin token; a missing token is an error now, not at the first 401. */
export async function createApiClient(ctx: CliContext): Promise<ApiClient> {
  const baseUrl = baseUrlOf(ctx.env);
  const token = await adminTokenOf(ctx, baseUrl);

  return {
    baseUrl,
    async request<T>(method: ApiMethod, path: string, options: { query?: Query; body?: unknown } = {}) {
      const query = new URLSearchParams();
      for (const [key, value] of Object.entries(options.query ?? {}))
        if (value !== undefined) query.set(key, String(value));
      const url = `${baseUrl}${path}${query.size > 0 ? `?${query.toString()}` : ''}`;
      const headers: Record<string, string> = { Authorization: `Bearer ${token}`, Accept: 'application/json' };
      if (options.body !== undefined) headers['Content-Type'] = 'application/json';
      const res = await fetchOrExplain(ctx, baseUrl, url, {
        method,
        headers,
        ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
      });
      const text = await res.text();
      let body: unknown;
      try {
        body = text === '' ? undefined : JSON.parse(text);
      } catch {
        throw new TempohookError(
          'bad_response',
          `${method} ${url} answered ${res.status} with a body that is not JSON. Is TEMPOHOOK_URL (${baseUrl}) a tempohook ingress?`,
          502,
        );
      }
      if (res.ok) return { status: res.status, body: body as T };
      const error = (body as { error?: { code?: unknown; message?: unknown; details?: unknown } } | undefined)?.error;
      if (res.status === 401 && error?.code === 'unauthorized') {
        throw new TempohookError(
          'unauthorized',
          ctx.env.TEMPOHOOK_TOKEN?.trim()
            ? `${baseUrl} refused TEMPOHOOK_TOKEN: it is not a token of this ingress, or it was revoked or has expired (\`tempohook get tokens\` with an admin token shows which).`
            : `${baseUrl} refused the admin token. TEMPOHOOK_ADMIN_TOKEN must be the token the ingress was started with (\`npm start\` prints it).`,
          401,
        );
      }
      if (error && typeof error.code === 'string' && typeof error.message === 'string') {
        throw new TempohookError(
          error.code,
          error.message,
          res.status,
          error.details === undefined ? undefined : { details: error.details },
        );
      }
      throw new TempohookError(
        `http_${res.status}`,
        `${method} ${url} answered ${res.status} ${res.statusText}.`,
        res.status,
      );
    },
  };
}
