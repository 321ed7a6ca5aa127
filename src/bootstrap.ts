import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Container } from './container.js';

/**
 * Ensures an admin key exists. A generated token goes to <DATA_DIR>/admin-token with mode 0600;
 * the log names the file, never the token.
 */
export async function bootstrapAdminKey(container: Container, log: (msg: string) => void): Promise<void> {
  const { generatedToken } = await container.apiKeys.bootstrapAdmin(container.config.adminToken);
  if (!generatedToken) return;
  mkdirSync(container.config.dataDir, { recursive: true });
  const file = join(container.config.dataDir, 'admin-token');
  writeFileSync(file, `${generatedToken}\n`, { mode: 0o600 });
  log(`generated the first admin API key; its token is in ${file} (mode 0600)`);
}
