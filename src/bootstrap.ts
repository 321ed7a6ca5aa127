import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Container } from './container.js';

/**
 * Ensures an admin key exists. A generated token goes to <DATA_DIR>/admin-token with mode 0600;
 * the log names the file, never the token. A revoked ADMIN_TOKEN is not resurrected: start-up
 * continues (other admin keys exist, or the operator creates one with the CLI) and says so.
 */
export async function bootstrapAdminKey(container: Container, log: (msg: string) => void): Promise<void> {
  const { generatedToken, revokedKeyId } = await container.apiKeys.bootstrapAdmin(container.config.adminToken);
  if (revokedKeyId !== undefined) {
    log(`ADMIN_TOKEN belongs to API key ${revokedKeyId}, which was revoked; it stays revoked (remove ADMIN_TOKEN from the environment)`);
    return;
  }
  if (!generatedToken) return;
  ensurePrivateDir(container.config.dataDir);
  const file = join(container.config.dataDir, 'admin-token');
  writeFileSync(file, `${generatedToken}\n`, { mode: 0o600 });
  log(`generated the first admin API key; its token is in ${file} (mode 0600)`);
}

/** The data directory holds the database and the admin token: owner-only (0700). */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
}
