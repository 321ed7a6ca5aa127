import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Validator } from '@seriousme/openapi-schema-validator';
import openapiTS, { astToString } from 'openapi-typescript';
import { beforeAll, describe, expect, it } from 'vitest';
import { ERRORS } from '../../src/http/errors.js';
import { generateOpenApiDocument, OPENAPI_PATH } from '../../src/openapi.js';

type Operation = {
  operationId?: string;
  summary?: string;
  description?: string;
  tags?: string[];
  security?: unknown[];
  parameters?: { name: string; in: string; required?: boolean; schema?: { default?: unknown } }[];
  requestBody?: { content: Record<string, unknown> };
  responses: Record<string, { description: string; headers?: Record<string, unknown>; content?: Record<string, unknown> }>;
};

let text: string;
let doc: { paths: Record<string, Record<string, Operation>> };
let operations: { path: string; method: string; op: Operation }[];
beforeAll(async () => {
  text = await generateOpenApiDocument();
  doc = JSON.parse(text);
  // Shared error responses are references into components.responses: read them through.
  const shared = (doc as unknown as { components: { responses?: Record<string, Operation['responses'][string]> } }).components.responses ?? {};
  const resolve = (op: Operation): Operation => ({
    ...op,
    responses: Object.fromEntries(
      Object.entries(op.responses).map(([status, r]) => {
        const ref = (r as { $ref?: string }).$ref;
        return [status, ref ? shared[ref.replace('#/components/responses/', '')]! : r];
      }),
    ),
  });
  operations = Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ path, method, op: resolve(op) })));
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

  it('declares each error status with the problem codes it can carry, as application/problem+json', () => {
    const catalogue = ERRORS as Record<string, { status: number }>;
    for (const { path, method, op } of operations) {
      const where = `${method} ${path}`;
      expect(
        Object.keys(op.responses).filter((s) => /^\dXX$/i.test(s)),
        `${where}: wildcard statuses`,
      ).toEqual([]);
      const errors = Object.entries(op.responses).filter(([status]) => Number(status) >= 400);
      expect(errors.length, where).toBeGreaterThan(0);
      for (const [status, response] of errors) {
        const media = response.content?.['application/problem+json'] as { schema: { allOf: unknown[] }; examples: Record<string, { $ref: string }> };
        expect(media, `${where} ${status}`).toBeDefined();
        expect(JSON.stringify(media.schema)).toContain('#/components/schemas/Problem');
        const codes = (media.schema.allOf[1] as { properties: { code: { enum: string[] } } }).properties.code.enum;
        // Every code listed is answered with this status, and has its example.
        for (const code of codes) {
          expect(catalogue[code]?.status, `${where} ${status} ${code}`).toBe(Number(status));
          expect(media.examples[code]?.$ref).toBe(`#/components/examples/${code}`);
        }
        expect(response.headers, `${where} ${status}`).toHaveProperty('X-Request-Id');
        if (status === '429' || (status === '503' && codes.some((c) => c !== 'NOT_READY'))) expect(response.headers).toHaveProperty('Retry-After');
      }
      if (path.startsWith('/api/')) {
        const codes = errors.flatMap(
          ([, r]) =>
            (r.content!['application/problem+json'] as { schema: { allOf: { properties?: { code: { enum: string[] } } }[] } }).schema.allOf[1]!.properties!.code
              .enum,
        );
        expect(codes, where).toEqual(expect.arrayContaining(['UNAUTHENTICATED', 'FORBIDDEN', 'INTERNAL', 'DATABASE_UNAVAILABLE']));
      }
    }
    // The route's own codes are there: a lookup by name says it may not find the model.
    const op = (path: string, method: string) => operations.find((o) => o.path === path && o.method === method)!.op;
    expect(JSON.stringify(op('/api/v1/models/{name}', 'get').responses['404'])).toContain('MODEL_NOT_FOUND');
    expect(JSON.stringify(op('/api/v1/models', 'post').responses['409'])).toContain('MODEL_EXISTS');
    expect(JSON.stringify(op('/api/v1/models/{name}/samples', 'post').responses['413'])).toContain('BATCH_TOO_LARGE');
    // Responses many operations share are one component each, referenced.
    expect(JSON.stringify(doc.paths['/api/v1/models/{name}']!.get!.responses['401'])).toBe('{"$ref":"#/components/responses/Unauthenticated"}');
  });

  it('gives every operation a description and examples of its JSON bodies', () => {
    for (const { path, method, op } of operations) {
      const where = `${method} ${path}`;
      expect(op.description, where).toEqual(expect.any(String));
      expect(op.description!.length, where).toBeGreaterThan(20);
      const bodies = [
        ...Object.entries(op.requestBody?.content ?? {}),
        ...Object.entries(op.responses)
          .filter(([status]) => status.startsWith('2'))
          .flatMap(([, r]) => Object.entries(r.content ?? {})),
      ].filter(([type]) => type === 'application/json');
      for (const [, media] of bodies) expect(media, where).toHaveProperty('example');
    }
  });

  it('names the schemas a client works with, and references them', () => {
    const schemas = (doc as unknown as { components: { schemas: Record<string, unknown> } }).components.schemas;
    for (const name of [
      'Model',
      'Version',
      'Alias',
      'Artifact',
      'Event',
      'DriftReport',
      'DriftTimeline',
      'Monitor',
      'MonitorConfig',
      'MonitorStatus',
      'Reference',
      'RetrainJob',
      'RetrainConfig',
      'Lineage',
      'Webhook',
      'WebhookDelivery',
      'ApiKey',
      'Problem',
    ])
      expect(schemas, name).toHaveProperty(name);
    expect(JSON.stringify(doc.paths['/api/v1/models/{name}']!.get!.responses['200'])).toContain('#/components/schemas/Model');
    expect(JSON.stringify(doc.paths['/api/v1/drift-reports/{id}']!.get!.responses['200'])).toContain('#/components/schemas/DriftReport');
    // Defaulted fields are optional in the named schemas too (the server fills them).
    const retrain = schemas.RetrainConfig as { required?: string[] };
    expect(retrain.required).toEqual(['executor']);
  });

  it('declares the headers responses carry', () => {
    const download = doc.paths['/api/v1/models/{name}/versions/{version}/artifacts/{path}']!.get!.responses['200'] as { headers?: Record<string, unknown> };
    expect(Object.keys(download.headers ?? {})).toEqual(expect.arrayContaining(['X-Artifact-Sha256', 'ETag', 'Content-Length', 'X-Request-Id']));
    for (const { path, method, op } of operations)
      for (const [status, r] of Object.entries(op.responses))
        expect((r as { headers?: object }).headers, `${method} ${path} ${status}`).toHaveProperty('X-Request-Id');
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
    // defaultNonNullable off: by default openapi-typescript types a field with a default as always
    // present, which holds for responses but would demand every defaulted field of a request
    // body (a retrain policy of only its executor is valid: the server fills the rest).
    const types = astToString(await openapiTS(text, { defaultNonNullable: false }));
    // Named component schemas become named types (calls.ts uses Model, Version, DriftReport, …).
    for (const name of ['Model', 'Version', 'DriftReport', 'RetrainJob', 'RetrainConfig', 'Alias', 'Webhook'])
      expect(types).toMatch(new RegExp(`\\n\\s+${name}: \\{`));
    writeFileSync(join(dir, 'schema.d.ts'), types);
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
