import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';

/** The dashboard's static files go out compressed when the browser accepts it, the API's responses never. */
describe('dashboard assets: compression', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => t?.close());

  it('serves echarts with brotli or gzip as accepted, identical once decoded, and raw to a client that accepts neither', async () => {
    const raw = await t.call({ method: 'GET', url: '/ui/vendor/echarts.js', token: null, headers: { 'accept-encoding': 'identity' } });
    expect(raw.statusCode).toBe(200);
    expect(raw.headers['content-encoding']).toBeUndefined();
    const body = raw.rawPayload;
    expect(body.length).toBeGreaterThan(500_000);

    const br = await t.call({ method: 'GET', url: '/ui/vendor/echarts.js', token: null, headers: { 'accept-encoding': 'gzip, deflate, br' } });
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers.vary).toMatch(/accept-encoding/i);
    expect(br.rawPayload.length).toBeLessThan(body.length / 3);
    expect(brotliDecompressSync(br.rawPayload).equals(body)).toBe(true);

    const gz = await t.call({ method: 'GET', url: '/ui/vendor/echarts.js', token: null, headers: { 'accept-encoding': 'gzip' } });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.rawPayload).equals(body)).toBe(true);
  });

  it('compresses the files the static plugin serves too (streams: whatever their size)', async () => {
    const css = await t.call({ method: 'GET', url: '/ui/css/app.css', token: null, headers: { 'accept-encoding': 'gzip' } });
    expect(css.statusCode).toBe(200);
    expect(css.headers['content-encoding']).toBe('gzip');
    expect(css.headers['content-security-policy']).toBeTruthy();
    expect(gunzipSync(css.rawPayload).toString()).toMatch(/[{}]/);
    const page = await t.call({ method: 'GET', url: '/ui/', token: null, headers: { 'accept-encoding': 'gzip' } });
    expect(page.statusCode).toBe(200);
    expect(gunzipSync(page.rawPayload).toString()).toMatch(/<html/i);
  });

  it('leaves API responses uncompressed', async () => {
    const res = await t.call({ method: 'GET', url: '/api/v1/models?limit=100', headers: { 'accept-encoding': 'gzip, br' } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(() => res.json()).not.toThrow();
  });
});
