/** The admin token: TEMPOHOOK_ADMIN_TOKEN, or (dev only) one generated once and kept in the data dir. */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

export async function loadOrCreateDevAdminToken(dataDir: string): Promise<{ token: string; generated: boolean }> {
  const file = path.join(dataDir, 'admin-token');
  try {
    const token = (await readFile(file, 'utf8')).trim();
    if (token.length >= 16) return { token, generated: false };
  } catch {
    /* first start */
  }
  const token = `th_${randomBytes(24).toString('base64url')}`;
  await mkdir(dataDir, { recursive: true });
  await writeFile(file, token + '\n', { mode: 0o600 });
  return { token, generated: true };
}
