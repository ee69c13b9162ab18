/** HTTP error bodies are always `{ error: { code, message } }`; 5xx bodies never carry internals. */
import type { Response } from 'express';

export function sendError(
  res: Response,
  status: number,
  code: string,
  message: string,
  extra: { headers?: Record<string, string>; details?: unknown } = {},
): void {
  for (const [name, value] of Object.entries(extra.headers ?? {})) res.setHeader(name, value);
  res
    .status(status)
    .json({ error: { code, message, ...(extra.details === undefined ? {} : { details: extra.details }) } });
}
