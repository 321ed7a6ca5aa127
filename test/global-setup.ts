import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/** Each run gets a clean scratch folder for its SQLite files and artifact stores. */
export default function setup(): void {
  const dir = join(process.cwd(), '.tmp', 'test');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
}
