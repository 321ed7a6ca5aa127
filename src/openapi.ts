import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp } from './app.js';
import { loadConfig } from './config.js';
import { createContainer } from './container.js';

export const OPENAPI_PATH = join(process.cwd(), 'openapi', 'openapi.json');

/** The OpenAPI document exactly as committed: generated from the route schemas of a throwaway app. */
export async function generateOpenApiDocument(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'mlcycle-openapi-'));
  const container = await createContainer(loadConfig({ DATA_DIR: dir }));
  try {
    const app = await buildApp(container);
    await app.ready();
    const doc = app.swagger();
    await app.close();
    return `${JSON.stringify(doc, null, 2)}\n`;
  } finally {
    await container.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
