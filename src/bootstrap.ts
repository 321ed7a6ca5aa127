import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from './config.js';
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

const DIR_PROBLEMS: Record<string, string> = {
  EEXIST: 'exists and is not a directory',
  ENOTDIR: 'is below a path that is a file, not a directory',
  EACCES: 'cannot be created or used (permission denied)',
  EPERM: 'cannot be created or used (operation not permitted)',
  EROFS: 'is on a read-only file system',
};

/**
 * The data directory holds the database and the admin token: owner-only (0700). A path that
 * cannot be one is a configuration error naming the variable (exit 78), not a stack trace.
 */
export function ensurePrivateDir(dir: string, variable = 'DATA_DIR'): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
  } catch (error) {
    const reason = DIR_PROBLEMS[(error as NodeJS.ErrnoException).code ?? ''];
    if (reason) throw new ConfigError([`${variable}: "${dir}" ${reason}`]);
    throw error;
  }
}
