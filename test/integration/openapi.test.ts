import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Validator } from '@seriousme/openapi-schema-validator';
import openapiTS, { astToString } from 'openapi-typescript';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateOpenApiDocument, OPENAPI_PATH } from '../../src/openapi.js';

type Operation = {
  operationId?: string;
  summary?: string;
  tags?: string[];
  security?: unknown[];
  parameters?: { name: string; in: string; required?: boolean; schema?: { default?: unknown } }[];
  requestBody?: { content: Record<string, unknown> };
  responses: Record<string, { description: string; content?: Record<string, unknown> }>;
};

let text: string;
let doc: { paths: Record<string, Record<string, Operation>> };
let operations: { path: string; method: string; op: Operation }[];
beforeAll(async () => {
  text = await generateOpenApiDocument();
  doc = JSON.parse(text);
  operations = Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ path, method, op })));
});

describe('openapi/openapi.json', () => {
  it('is up to date with the routes (run `npm run openapi` when this fails)', () => {
    expect(readFileSync(OPENAPI_PATH, 'utf8')).toBe(text);
  });

  it('is a valid OpenAPI 3.1 document', async () => {
    const validator = new Validator();
    const result = await validator.validate(JSON.parse(text));
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('gives every operation an operationId, tags, a summary and described responses', () => {
    expect(operations.length).toBeGreaterThan(15);
    const ids = new Set<string>();
    for (const { path, method, op } of operations) {
      const where = `${method} ${path}`;
      expect(op.operationId, where).toEqual(expect.any(String));
      expect(ids.has(op.operationId!), `duplicate operationId ${op.operationId}`).toBe(false);
      ids.add(op.operationId!);
      expect(op.tags?.length, where).toBeGreaterThan(0);
      expect(op.summary, where).toEqual(expect.any(String));
      for (const [status, response] of Object.entries(op.responses)) expect(response.description, `${where} ${status}`).not.toBe('Default Response');
    }
  });

  it('types errors as application/problem+json on every /api operation', () => {
    for (const { path, method, op } of operations.filter((o) => o.path.startsWith('/api/'))) {
      for (const status of ['4XX', '5XX']) {
        const content = op.responses[status]?.content ?? {};
        expect(Object.keys(content), `${method} ${path} ${status}`).toEqual(['application/problem+json']);
        expect(JSON.stringify(content)).toContain('#/components/schemas/Problem');
      }
    }
  });

  it('leaves open routes open and guards the API with bearer auth', () => {
    for (const { path, method, op } of operations) {
      // The API and /metrics (drift scores are business data: the `metrics` scope) need a key.
      if (path.startsWith('/api/') || path === '/metrics')
        expect(op.security, `${method} ${path}`).toBeUndefined(); // the global bearer requirement
      else expect(op.security, `${method} ${path}`).toEqual([]);
    }
  });

  it('marks parameters with a default as optional', () => {
    const lists = operations.filter((o) => o.op.parameters?.some((p) => p.name === 'limit'));
    expect(lists.length).toBeGreaterThanOrEqual(6);
    for (const { path, op } of lists) {
      for (const p of op.parameters!) if (p.schema?.default !== undefined) expect(p.required, `${path} ${p.name}`).toBe(false);
    }
  });

  it('documents artifact bytes as bytes under a named {path} parameter', () => {
    const path = '/api/v1/models/{name}/versions/{version}/artifacts/{path}';
    expect(Object.keys(doc.paths).filter((p) => p.includes('*'))).toEqual([]);
    const upload = doc.paths[path]!.put!;
    expect(upload.requestBody?.content).toHaveProperty('application/octet-stream');
    expect(upload.parameters?.find((p) => p.in === 'path' && p.name === 'path')?.required).toBe(true);
    expect(Object.keys(doc.paths[path]!.get!.responses['200']!.content!)).toEqual(['application/octet-stream']);
  });

  it('generates a client (openapi-typescript) that type-checks a call of every operation', async () => {
    // A private folder (both vitest projects run this file, possibly at once), inside the repo so
    // that openapi-fetch resolves from node_modules.
    const dir = join(process.cwd(), '.tmp', 'openapi-client', randomUUID());
    mkdirSync(dir, { recursive: true });
    const calls = readFileSync(join(process.cwd(), 'test', 'openapi-client', 'calls.ts'), 'utf8');
    writeFileSync(join(dir, 'calls.ts'), calls);
    writeFileSync(join(dir, 'schema.d.ts'), astToString(await openapiTS(text)));
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        extends: '../../../tsconfig.json',
        compilerOptions: { noEmit: true, rootDir: '.', lib: ['ES2023', 'DOM'], types: [] },
        include: ['calls.ts', 'schema.d.ts'],
        exclude: [],
      }),
    );
    for (const { path, method } of operations) expect(calls, `no call of ${method} ${path} in calls.ts`).toContain(`client.${method.toUpperCase()}('${path}'`);
    const tsc = join(process.cwd(), 'node_modules', 'typescript', 'bin', 'tsc');
    const result = await promisify(execFile)(process.execPath, [tsc, '-p', join(dir, 'tsconfig.json')]).then(
      () => ({ ok: true, out: '' }),
      (error: { stdout?: string }) => ({ ok: false, out: error.stdout ?? String(error) }),
    );
    rmSync(dir, { recursive: true, force: true });
    expect(result.out).toBe('');
    expect(result.ok).toBe(true);
  }, 120_000);
});
