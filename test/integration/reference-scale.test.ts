import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ArtifactStore, createFsArtifactStore } from '../../src/artifacts/index.js';
import { buildProfile, computeDrift, type DatasetProfile, type FeatureDriftResult, serializeProfile } from '../../src/drift/index.js';
import type { InlineQueue } from '../../src/queue/index.js';
import { createRegistryRepository } from '../../src/registry/registry.repository.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createRng } from '../helpers/random.js';
import { type S3rverHandle, s3StoreFor, startS3rver } from '../helpers/s3rver.js';

/**
 * References of any size through the HTTP API (issue 20 item 5): chunks appended one by one give
 * the profile (and the report) of all rows at once; past REFERENCE_MAX_VALUES a seeded sample,
 * deterministic and stated in the report; a `mlcycle.profile/1` profile stored before still
 * works; a chunk that fails half-way leaves the previous profile intact.
 */
const features = [
  { name: 'age', type: 'numeric' },
  { name: 'income', type: 'numeric' },
  { name: 'score', type: 'numeric' },
  { name: 'plan', type: 'categorical' },
] as const;
const types = new Map(features.map((f) => [f.name, f.type]));
type Columns = { age: (number | null)[]; income: number[]; score: number[]; plan: (string | null)[] };

function makeColumns(seed: number, n: number, shift = 0): Columns {
  const rng = createRng(seed);
  const cols: Columns = { age: [], income: [], score: [], plan: [] };
  for (let i = 0; i < n; i++) {
    cols.age.push(i % 17 === 0 ? null : Math.round(rng.normal(40 + shift, 10) * 10) / 10);
    cols.income.push(rng.normal(50_000 + shift * 2_000, 8_000));
    cols.score.push(i % 9 === 0 ? 0 : Math.round(rng.normal(shift, 1) * 4) / 4 + 0); // ties (JSON cannot carry −0: the codec test covers it)
    cols.plan.push(i % 23 === 0 ? null : ['free', 'pro', 'team'][(rng.int(3) + shift) % 3]!);
  }
  return cols;
}
const concat = (parts: Columns[]): Columns => ({
  age: parts.flatMap((p) => p.age),
  income: parts.flatMap((p) => p.income),
  score: parts.flatMap((p) => p.score),
  plan: parts.flatMap((p) => p.plan),
});

function expectSameProfile(got: DatasetProfile, want: DatasetProfile): void {
  expect(got.rows).toBe(want.rows);
  expect([...got.features.keys()]).toEqual([...want.features.keys()]);
  for (const [name, g] of got.features) {
    const w = want.features.get(name)!;
    expect({ name, kind: g.kind, count: g.count, missing: g.missing }).toEqual({ name, kind: w.kind, count: w.count, missing: w.missing });
    if (g.kind === 'numeric' && w.kind === 'numeric') {
      expect(g.values.length).toBe(w.values.length);
      for (let i = 0; i < g.values.length; i++) if (!Object.is(g.values[i], w.values[i])) throw new Error(`${name}[${i}]: ${g.values[i]} ≠ ${w.values[i]}`);
    }
    if (g.kind === 'categorical' && w.kind === 'categorical') expect(new Map([...g.counts].sort())).toEqual(new Map([...w.counts].sort()));
  }
}

async function setUp(t: TestApp, model: string, versions = 1) {
  await t.call({ method: 'POST', url: '/api/v1/models', payload: { name: model } });
  for (let v = 0; v < versions; v++) await t.call({ method: 'POST', url: `/api/v1/models/${model}/versions`, payload: { features } });
  await t.call({ method: 'PUT', url: `/api/v1/models/${model}/monitor`, payload: { window: { size: 400 }, minSamples: 30 } });
}

async function versionRow(t: TestApp, model: string, version: number) {
  const registry = createRegistryRepository(t.container.database);
  const m = (await registry.findModel(model))!;
  return (await registry.findVersion(m.id, version))!;
}

const append = (t: TestApp, model: string, version: number, columns: Columns) =>
  t.call({ method: 'POST', url: `/api/v1/models/${model}/versions/${version}/reference`, payload: { columns } });

/** Posts a 400-row window to `version` and returns the finished report. */
async function reportOn(t: TestApp, model: string, version: number, window: Columns) {
  const res = await t.call({ method: 'POST', url: `/api/v1/models/${model}/samples?version=${version}`, payload: { columns: window } });
  expect(res.statusCode, res.body).toBe(202);
  await (t.container.queue as InlineQueue).idle();
  const page = (await t.call({ method: 'GET', url: `/api/v1/models/${model}/drift-reports?version=${version}` })).json<{ items: { id: number }[] }>();
  return (await t.call({ method: 'GET', url: `/api/v1/drift-reports/${page.items[0]!.id}` })).json<{ status: string; features: FeatureDriftResult[] }>();
}

const chunks = [makeColumns(1, 2500), makeColumns(2, 1700), makeColumns(3, 3100), makeColumns(4, 900)];
const window = makeColumns(9, 400, 2);

describe('reference chunks (exact, no cap reached)', () => {
  let t: TestApp;
  let failPuts = false;
  /** Runs once before the next read of a profile object (to slip a concurrent append in). */
  let beforeGet: (() => Promise<unknown>) | undefined;
  beforeAll(async () => {
    // The fs store, whose puts can be made to fail half-way through the upload.
    const base = createFsArtifactStore({ root: join(process.cwd(), '.tmp', 'test', `refstore-${process.pid}-${Date.now()}`) });
    const store: ArtifactStore = {
      ...base,
      put: (key, body, opts) => {
        if (!failPuts || !key.startsWith('references/')) return base.put(key, body, opts);
        return base.put(key, Readable.from(cutAfter(body as Readable, 20_000)), opts);
      },
      get: async (key) => {
        const hook = key.startsWith('references/') ? beforeGet : undefined;
        beforeGet = undefined;
        await hook?.();
        return base.get(key);
      },
    };
    t = await createTestApp({ store });
    await setUp(t, 'ref', 2);
  });
  afterAll(async () => t?.close());

  it('appended chunk by chunk, the stored profile and the report equal those of all rows at once', async () => {
    for (const [i, c] of chunks.entries()) {
      const res = await append(t, 'ref', 1, c);
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toMatchObject({ chunks: i + 1, rows: chunks.slice(0, i + 1).reduce((n, p) => n + p.income.length, 0) });
    }
    const whole = buildProfile(concat(chunks), types);
    const stored = (await t.container.references.profileFor((await versionRow(t, 'ref', 1)).id))!;
    expectSameProfile(stored.profile, whole);
    const summary = (await t.call({ method: 'GET', url: '/api/v1/models/ref/versions/1/reference' })).json();
    expect(summary.features.find((f: { name: string }) => f.name === 'age')).not.toHaveProperty('sample');

    const report = await reportOn(t, 'ref', 1, window);
    expect(report.status).toBe('done');
    const expected = JSON.parse(JSON.stringify(computeDrift(whole, window, { minSamples: 30 }).features));
    expect(report.features).toEqual(expected);
    expect(report.features.some((f) => f.drifted)).toBe(true);
  });

  it('the same chunks on another version give the same bytes (sha256); two appends racing both land', async () => {
    for (const c of chunks.slice(0, 2)) expect((await append(t, 'ref', 2, c)).statusCode).toBe(200);
    const [a, b] = await Promise.all([append(t, 'ref', 2, chunks[2]!), append(t, 'ref', 2, chunks[3]!)]);
    expect([a.statusCode, b.statusCode]).toEqual([200, 200]);
    const one = (await t.call({ method: 'GET', url: '/api/v1/models/ref/versions/1/reference' })).json();
    const two = (await t.call({ method: 'GET', url: '/api/v1/models/ref/versions/2/reference' })).json();
    expect(two).toMatchObject({ rows: one.rows, chunks: 4 });
    const stored = (await t.container.references.profileFor((await versionRow(t, 'ref', 2)).id))!;
    expectSameProfile(stored.profile, buildProfile(concat(chunks), types));
    // Racing chunks may land in either order; sent in the same order, the same bytes.
    await t.call({ method: 'DELETE', url: '/api/v1/models/ref/versions/2/reference' });
    for (const c of chunks) expect((await append(t, 'ref', 2, c)).statusCode).toBe(200);
    const again = (await t.call({ method: 'GET', url: '/api/v1/models/ref/versions/2/reference' })).json();
    expect(again.sha256).toBe(one.sha256);
    expect(again.size).toBe(one.size);
  });

  it('a chunk whose upload fails half-way leaves the previous profile intact and no object behind; the retry lands', async () => {
    const before = (await t.call({ method: 'GET', url: '/api/v1/models/ref/versions/1/reference' })).json();
    failPuts = true;
    const failed = await append(t, 'ref', 1, makeColumns(5, 3000));
    failPuts = false;
    expect(failed.statusCode).toBeGreaterThanOrEqual(500);
    const after = (await t.call({ method: 'GET', url: '/api/v1/models/ref/versions/1/reference' })).json();
    expect(after).toEqual(before);
    const keys: string[] = [];
    for await (const o of t.container.store.list(`references/`)) keys.push(o.key);
    const v1 = await versionRow(t, 'ref', 1);
    const row1 = v1.id;
    const current = (await t.container.monitoringRepo.referenceProfile(v1.id))!;
    expect(current.sha256).toBe(before.sha256);
    expect(keys.filter((k) => k.startsWith(`references/${v1.modelId}/${v1.id}/`))).toEqual([current.storageKey]);
    const stored = (await t.container.references.profileFor(row1))!;
    expectSameProfile(stored.profile, buildProfile(concat(chunks), types));

    const retry = await append(t, 'ref', 1, makeColumns(5, 3000));
    expect(retry.statusCode, retry.body).toBe(200);
    expect(retry.json()).toMatchObject({ rows: before.rows + 3000, chunks: before.chunks + 1 });
    const now = (await t.container.references.profileFor(row1))!;
    expectSameProfile(now.profile, buildProfile(concat([...chunks, makeColumns(5, 3000)]), types));
  });

  it('an append whose old profile is deleted under it by a concurrent one rebuilds on the winner', async () => {
    await setUp(t, 'race');
    expect((await append(t, 'race', 1, chunks[0]!)).statusCode).toBe(200);
    // The second append reads the row, then — before it opens the object — the third one lands
    // and deletes that object.
    let winner: Awaited<ReturnType<typeof append>> | undefined;
    beforeGet = async () => {
      winner = await append(t, 'race', 1, chunks[2]!);
    };
    const loser = await append(t, 'race', 1, chunks[1]!);
    expect(winner?.statusCode, winner?.body).toBe(200);
    expect(loser.statusCode, loser.body).toBe(200);
    expect(loser.json()).toMatchObject({ chunks: 3, rows: 2500 + 1700 + 3100 });
    const version = await versionRow(t, 'race', 1);
    expectSameProfile((await t.container.references.profileFor(version.id))!.profile, buildProfile(concat(chunks.slice(0, 3)), types));
  });

  it('a profile stored as mlcycle.profile/1 (JSON, before this format) still serves reports and takes appends', async () => {
    await setUp(t, 'legacy');
    expect((await append(t, 'legacy', 1, chunks[0]!)).statusCode).toBe(200);
    const version = await versionRow(t, 'legacy', 1);
    const row = (await t.container.monitoringRepo.referenceProfile(version.id))!;
    // What the service wrote before: one JSON document.
    const legacyKey = `references/${version.modelId}/${version.id}/legacy.json`;
    const json = Buffer.from(JSON.stringify(serializeProfile(buildProfile(chunks[0]!, types))));
    const put = await t.container.store.put(legacyKey, Readable.from([json]), { contentType: 'application/json' });
    const repo = t.container.monitoringRepo;
    const switched = await repo.transaction(() =>
      repo.replaceReferenceProfile({ ...row, storageKey: legacyKey, sha256: put.sha256, size: put.size, revision: row.revision + 1 }, row.revision),
    );
    expect(switched).toBe(true);
    await t.container.store.delete(row.storageKey);

    const report = await reportOn(t, 'legacy', 1, window);
    expect(report.features).toEqual(JSON.parse(JSON.stringify(computeDrift(buildProfile(chunks[0]!, types), window, { minSamples: 30 }).features)));

    expect((await append(t, 'legacy', 1, chunks[1]!)).statusCode).toBe(200);
    const now = (await t.container.monitoringRepo.referenceProfile(version.id))!;
    expect(now.storageKey).not.toBe(legacyKey);
    expect(await t.container.store.exists(legacyKey)).toBe(false);
    const head = await t.container.store.get(now.storageKey);
    let first = Buffer.alloc(0);
    for await (const c of head.body) {
      first = Buffer.from(c as Buffer);
      break;
    }
    head.body.destroy();
    expect(first.subarray(0, 18).toString()).toBe('mlcycle.profile/2\n');
    expectSameProfile((await t.container.references.profileFor(version.id))!.profile, buildProfile(concat(chunks.slice(0, 2)), types));
  });
});

describe('references past REFERENCE_MAX_VALUES', () => {
  let t: TestApp;
  const CAP = 10_000;
  const big = [makeColumns(11, 6000), makeColumns(12, 6000), makeColumns(13, 6000)];
  beforeAll(async () => {
    t = await createTestApp({ env: { REFERENCE_MAX_VALUES: String(CAP) } });
    await setUp(t, 'big', 2);
  });
  afterAll(async () => t?.close());

  it('keep a seeded uniform sample of the cap per numeric feature: deterministic, stated in the summary and the report', async () => {
    for (const v of [1, 2]) for (const c of big) expect((await append(t, 'big', v, c)).statusCode).toBe(200);
    const one = (await t.call({ method: 'GET', url: '/api/v1/models/big/versions/1/reference' })).json();
    const two = (await t.call({ method: 'GET', url: '/api/v1/models/big/versions/2/reference' })).json();
    expect(two.sha256).toBe(one.sha256); // same chunks, same sample, same bytes
    const all = buildProfile(concat(big), types);
    const age = one.features.find((f: { name: string }) => f.name === 'age');
    const ageMissing = all.features.get('age')!.missing;
    expect(age).toMatchObject({ count: 18_000, missing: ageMissing, sample: { size: CAP, population: 18_000 - ageMissing } });
    expect(one.features.find((f: { name: string }) => f.name === 'plan')).not.toHaveProperty('sample'); // counts are exact

    const stored = (await t.container.references.profileFor((await versionRow(t, 'big', 1)).id))!.profile;
    const ageValues = (stored.features.get('age') as { values: Float64Array }).values;
    expect(ageValues.length).toBe(CAP);
    expect(stored.features.get('plan')).toEqual(all.features.get('plan'));

    const report = await reportOn(t, 'big', 1, window);
    const ageResult = report.features.find((f) => f.name === 'age')!;
    expect(ageResult.referenceSample).toEqual({ size: CAP, population: 18_000 - ageMissing });
    expect(ageResult.referenceSize).toBe(CAP);
    expect(report.features.find((f) => f.name === 'plan')!.referenceSample).toBeUndefined();
    // The statistics are exactly those of the sample.
    expect(report.features).toEqual(JSON.parse(JSON.stringify(computeDrift(stored, window, { minSamples: 30 }).features)));
  });
});

/** The bytes of `body` until `limit`, then an error: an upload dying half-way (disk full, connection lost). */
async function* cutAfter(body: Readable, limit: number): AsyncGenerator<Uint8Array> {
  let seen = 0;
  for await (const chunk of body) {
    seen += (chunk as Uint8Array).length;
    if (seen > limit) throw new Error('simulated failure half-way through the upload');
    yield chunk as Uint8Array;
  }
}

describe('reference chunks on the S3 store', () => {
  let t: TestApp;
  let s3: S3rverHandle;
  beforeAll(async () => {
    s3 = await startS3rver();
    t = await createTestApp({ store: s3StoreFor(s3) });
    await setUp(t, 's3ref');
  });
  afterAll(async () => {
    await t.close();
    await s3.close();
  });

  it('streams the merge through multipart uploads and reads it back equal to the whole profile', async () => {
    for (const c of chunks.slice(0, 3)) expect((await append(t, 's3ref', 1, c)).statusCode).toBe(200);
    const version = await versionRow(t, 's3ref', 1);
    expectSameProfile((await t.container.references.profileFor(version.id))!.profile, buildProfile(concat(chunks.slice(0, 3)), types));
    const report = await reportOn(t, 's3ref', 1, window);
    expect(report.features).toEqual(
      JSON.parse(JSON.stringify(computeDrift(buildProfile(concat(chunks.slice(0, 3)), types), window, { minSamples: 30 }).features)),
    );
  });
});
