/**
 * The web console at `/console/`: a few static files (src/console/, shipped in the package as they
 * are, no build step) served with a strict Content-Security-Policy. The shell is all that is
 * served without a token; everything it shows comes from `/v1/` with the token the operator signs
 * in with, and `config.json` (the Temporal UI to link runs to) asks for the same token.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import express, { type RequestHandler, type Response } from 'express';
import type { Logger } from '../logger';
import { sendError } from './http/http-errors';

/** No inline script or style, no other origin, no framing, no form posts. */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

interface StaticFile {
  body: Buffer;
  type: string;
  etag: string;
}

export interface ConsoleDeps {
  logger: Logger;
  /** The guard of `/v1/` (the same tokens), for `config.json`. */
  auth: RequestHandler;
  /** Base URL of the Temporal Web UI (TEMPOHOOK_TEMPORAL_UI_URL). */
  temporalUiUrl: string;
  /** The Temporal namespace the ingress starts runs in (the UI's path names it). */
  temporalNamespace: string;
  /** Where the files are (default: src/console of this package, from the sources or from dist/). */
  dir?: string;
}

/** src/console beside src/ingress when run from the sources; from dist/ingress, the package's src/console. */
function defaultConsoleDir(): string | undefined {
  const candidates = [path.join(__dirname, '..', 'console'), path.resolve(__dirname, '..', '..', 'src', 'console')];
  return candidates.find((dir) => {
    try {
      return readdirSync(dir).includes('index.html');
    } catch {
      return false;
    }
  });
}

/** The console's files, read once: a handful of small files, each with a content hash for revalidation. */
function loadFiles(dir: string): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  for (const name of readdirSync(dir)) {
    const type = CONTENT_TYPES[path.extname(name)];
    if (!type || !/^[a-z0-9-]+\.[a-z]+$/.test(name)) continue;
    const body = readFileSync(path.join(dir, name));
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
    files.set(name, { body, type, etag });
  }
  return files;
}

function securityHeaders(res: Response): void {
  res.setHeader('Content-Security-Policy', CONSOLE_CSP);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
}

/** `GET /console/` and its files; mounted wherever the `/v1/` API is. */
export function createConsoleRouter(deps: ConsoleDeps): express.Router {
  const router = express.Router({ strict: true });
  const dir = deps.dir ?? defaultConsoleDir();
  const files = dir ? loadFiles(dir) : new Map<string, StaticFile>();
  if (!files.has('index.html'))
    deps.logger.warn('the web console files are missing; /console answers 404', { dir: dir ?? null });

  const config = {
    temporalUiUrl: deps.temporalUiUrl.replace(/\/+$/, ''),
    temporalNamespace: deps.temporalNamespace,
  };

  const send = (file: StaticFile) => (req: express.Request, res: Response) => {
    securityHeaders(res);
    // Revalidated on every load (a few hundred bytes of 304s), so an upgraded ingress serves its own console at once.
    res.setHeader('Cache-Control', 'no-cache');
    res.setHeader('ETag', file.etag);
    if (req.get('if-none-match') === file.etag) {
      res.status(304).end();
      return;
    }
    res.setHeader('Content-Type', file.type);
    res.setHeader('Content-Length', String(file.body.length));
    res.end(req.method === 'HEAD' ? undefined : file.body);
  };

  router.use('/console', (_req, res, next) => {
    securityHeaders(res);
    next();
  });
  // Relative, so it lands on <mount>/console/ when the app is embedded under a prefix.
  router.get('/console', (_req, res) => res.redirect(302, 'console/'));
  const index = files.get('index.html');
  if (index) router.get('/console/', send(index));
  router.get('/console/config.json', deps.auth, (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.json(config);
  });
  for (const [name, file] of files) if (name !== 'index.html') router.get(`/console/${name}`, send(file));
  router.use('/console', (_req, res) =>
    sendError(res, 404, 'not_found', 'No such console file; open /console/ to start.'),
  );
  return router;
}
