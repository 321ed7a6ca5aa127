import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';

const base = '/api/v1/models/m/versions/1/artifacts';

/**
 * Issue 7, defect 5: five kinds of bad artifact path answered 500 (ENAMETOOLONG, key over 1 024
 * bytes, EISDIR, EEXIST). Each is a 400 or 409 with a code; limits are in bytes; paths are NFC.
 */
describe('bad artifact paths', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
    await t.call({ method: 'POST', url: '/api/v1/models', payload: { name: 'm' } });
    await t.call({ method: 'POST', url: '/api/v1/models/m/versions', payload: { features: [{ name: 'a', type: 'numeric' }] } });
  });
  afterAll(() => t?.close());
  const put = (path: string, payload = 'x') =>
    t.call({ method: 'PUT', url: `${base}/${path}`, payload, headers: { 'content-type': 'application/octet-stream' } });
  const listed = async () => (await t.call({ method: 'GET', url: `${base}?limit=500` })).json<{ items: { path: string }[] }>().items.map((a) => a.path);

  it.each([
    ['a segment over 255 bytes', 'x'.repeat(256)],
    ['1010 × x (under 1 024 characters, over 255 bytes per segment)', 'x'.repeat(1010)],
    ['600 × ü percent-encoded (600 characters, 1 200 bytes)', '%C3%BC'.repeat(600)],
    ['short segments, 1 030 bytes in all', Array.from({ length: 5 }, () => 'y'.repeat(205)).join('/')],
    ['multi-byte segments under 255 bytes, over 1 024 bytes in all', Array.from({ length: 5 }, () => '%C3%BC'.repeat(120)).join('/')],
  ])('%s → 400 INVALID_ARTIFACT_PATH, nothing written', async (_name, path) => {
    const res = await put(path);
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('INVALID_ARTIFACT_PATH');
    expect(await listed()).toEqual([]);
  });

  it('a path that is not valid UTF-8 → 400 problem+json with a code', async () => {
    const res = await put('%ED%A0%80.bin');
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json().code).toBe('MALFORMED_URL');
  });

  it('accepts exactly 255-byte segments and a 1 024-byte path', async () => {
    const path = [255, 255, 255, 254, 1].map((n) => 'z'.repeat(n)).join('/');
    expect(Buffer.byteLength(path)).toBe(1024);
    expect((await put(path)).statusCode).toBe(201);
    expect((await t.call({ method: 'GET', url: `${base}/${path}` })).body).toBe('x');
  });

  it('"dir" after "dir/file" and "file/sub" after "file" → 409 ARTIFACT_PATH_CONFLICT; the existing artifact is intact', async () => {
    expect((await put('dir/file', 'in dir')).statusCode).toBe(201);
    const asFile = await put('dir', 'file over a dir');
    expect(asFile.statusCode).toBe(409);
    expect(asFile.json()).toMatchObject({ code: 'ARTIFACT_PATH_CONFLICT' });
    expect((await put('file', 'a file')).statusCode).toBe(201);
    const under = await put('file/sub', 'under a file');
    expect(under.statusCode).toBe(409);
    expect(under.json().code).toBe('ARTIFACT_PATH_CONFLICT');
    expect((await t.call({ method: 'GET', url: `${base}/dir/file` })).body).toBe('in dir');
    expect((await t.call({ method: 'GET', url: `${base}/file` })).body).toBe('a file');
    // Siblings that merely share a prefix are not conflicts.
    expect((await put('dir.bak', 'sibling')).statusCode).toBe(201);
    expect((await put('fileX/sub', 'sibling')).statusCode).toBe(201);
  });

  it('NFC: café.bin uploaded decomposed (NFD) is one artifact, found by either spelling', async () => {
    const nfd = encodeURIComponent('cafe\u0301.bin');
    const nfc = encodeURIComponent('caf\u00e9.bin');
    expect((await put(nfd, 'first')).json().path).toBe('caf\u00e9.bin');
    expect((await put(nfc, 'second')).statusCode).toBe(201);
    expect((await listed()).filter((p) => p.startsWith('caf'))).toEqual(['caf\u00e9.bin']);
    expect((await t.call({ method: 'GET', url: `${base}/${nfd}` })).body).toBe('second');
  });
});
