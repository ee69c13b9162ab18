/** Bearer-token guard for the management API; the delivery endpoints are public by design. */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { sendError } from './http-errors';

const digest = (value: string) => createHash('sha256').update(value).digest();

export function requireAdminToken(token: string): RequestHandler {
  const expected = digest(token);
  return (req, res, next) => {
    const header = req.get('authorization') ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header);
    // Hashing both sides gives equal lengths, so the compare is constant-time and never throws.
    if (match && timingSafeEqual(digest(match[1]!.trim()), expected)) return next();
    res.setHeader('WWW-Authenticate', 'Bearer realm="tempohook"');
    sendError(res, 401, 'unauthorized', 'Send the admin token as "Authorization: Bearer <TEMPOHOOK_ADMIN_TOKEN>".');
  };
}
