import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyCompress from '@fastify/compress';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync } from 'fastify';

/**
 * The dashboard's own policy, replacing the API's `default-src 'none'` for /ui only: scripts,
 * styles and fetches from this origin and nothing else — no inline script or style, no eval, no
 * CDN (these machines are offline anyway). Inline style *attributes* stay blocked too; the chart
 * library styles elements through the CSSOM, which CSP does not govern.
 */
export const UI_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const HERE = dirname(fileURLToPath(import.meta.url));
// Beside this file when run from source (tsx); tsc does not copy it, so compiled code looks in src/.
const PUBLIC_DIR = [join(HERE, 'public'), join(HERE, '..', '..', '..', 'src', 'ui', 'public')].find((dir) => existsSync(dir)) ?? join(HERE, 'public');
// The chart library is served from node_modules as one ES module: no bundler, no build step.
const ECHARTS_FILE = join(dirname(createRequire(import.meta.url).resolve('echarts')), 'echarts.esm.min.mjs');

/** /ui: the dashboard's static files (open — they hold no data; its API calls carry the user's key). */
export function dashboardRoutes(): FastifyPluginAsync {
  return async (app) => {
    app.addHook('onRequest', async (_request, reply) => {
      reply.header('content-security-policy', UI_CSP);
    });
    // Brotli or gzip for what the browser accepts (echarts is 1.1 MB raw, ~0.35 MB gzipped), in
    // this plugin's scope only: the API's own responses (streams, artifacts with their sha256)
    // are left as they are.
    await app.register(fastifyCompress, { global: true, threshold: 1024, encodings: ['br', 'gzip'] });
    let echarts: Buffer | undefined;
    app.get('/ui/vendor/echarts.js', { schema: { hide: true } }, async (_request, reply) => {
      echarts ??= await readFile(ECHARTS_FILE);
      return reply.type('text/javascript; charset=utf-8').header('cache-control', 'public, max-age=86400').send(echarts);
    });
    // The pages' relative links resolve against the folder, so the bare path moves there.
    app.get('/ui', { schema: { hide: true } }, async (_request, reply) => reply.redirect('/ui/', 301));
    // decorateReply off: Swagger UI registers its own copy of the plugin, which decorates reply.
    await app.register(fastifyStatic, { root: PUBLIC_DIR, prefix: '/ui/', decorateReply: false, index: ['index.html'], schemaHide: true });
  };
}
