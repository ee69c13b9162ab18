/**
 * `X-Request-Id`: the caller's id when it is a plausible one (1–128 characters of letters,
 * digits and `._:@+=/-`, so it is safe in a log line and a header), else a new UUID; echoed on the
 * answer and carried into the access log.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

const REQUEST_ID = /^[A-Za-z0-9._:@+=/-]{1,128}$/;

/** The request's id, set on the response the first time it is asked for. */
export function requestIdOf(req: IncomingMessage, res: ServerResponse): string {
  const set = res.getHeader('x-request-id');
  if (typeof set === 'string') return set;
  const given = req.headers['x-request-id'];
  const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
  res.setHeader('X-Request-Id', id);
  return id;
}

/** Express middleware giving every answer an `X-Request-Id`. */
export function requestIds(req: IncomingMessage, res: ServerResponse, next: () => void): void {
  requestIdOf(req, res);
  next();
}
