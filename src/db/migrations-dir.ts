import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The committed migrations of a dialect, found by walking up from this module: the same lookup
 * works from src/db (tsx) and from dist/src/db (the compiled build, where migrations/ is not copied).
 */
export function migrationsDir(dialect: 'sqlite' | 'postgres'): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'migrations', dialect);
    if (existsSync(join(candidate, 'meta', '_journal.json'))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`migrations/${dialect} not found above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}
