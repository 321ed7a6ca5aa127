import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generateOpenApiDocument, OPENAPI_PATH } from '../../src/openapi.js';

describe('openapi/openapi.json', () => {
  it('is up to date with the routes (run `npm run openapi` when this fails)', async () => {
    const committed = readFileSync(OPENAPI_PATH, 'utf8');
    expect(committed).toBe(await generateOpenApiDocument());
  });

  it('gives every operation an operationId, tags and the shared problem response', async () => {
    const doc = JSON.parse(await generateOpenApiDocument());
    const operations = Object.entries(doc.paths as Record<string, Record<string, { operationId?: string; tags?: string[]; responses: Record<string, unknown> }>>)
      .flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ path, method, op })));
    expect(operations.length).toBeGreaterThan(15);
    const ids = new Set<string>();
    for (const { path, method, op } of operations) {
      expect(op.operationId, `${method} ${path}`).toEqual(expect.any(String));
      expect(ids.has(op.operationId!), `duplicate operationId ${op.operationId}`).toBe(false);
      ids.add(op.operationId!);
      expect(op.tags?.length, `${method} ${path}`).toBeGreaterThan(0);
      if (path.startsWith('/api/')) expect(JSON.stringify(op.responses['4XX'] ?? op.responses['4xx']), `${method} ${path}`).toContain('Problem');
    }
  });
});
