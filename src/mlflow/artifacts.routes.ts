import type { Readable } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { MlflowArtifacts } from './artifacts.service.js';
import { open, read, Str, write } from './schemas.js';

/**
 * `/api/2.0/mlflow-artifacts/artifacts/*`: what the client maps `mlflow-artifacts:/P` to. Bodies
 * stream straight to the store: this plugin's parser hands the raw request through.
 */
export function mlflowArtifactsRoutes(artifacts: MlflowArtifacts): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', (_req, payload, done) => done(null, payload));

    app.put('/artifacts/*', { ...write({}), config: { scope: 'models:write', rawBody: true, accepts: ['*/*'] } }, async (req) => {
      const body = (req.body ?? req.raw) as Readable;
      const gone = new AbortController();
      const onClose = () => {
        if (!req.raw.complete) gone.abort(new Error('client went away'));
      };
      req.raw.once('close', onClose);
      try {
        await artifacts.upload((req.params as { '*': string })['*'], body, req.headers['content-type'] ?? 'application/octet-stream', gone.signal);
        return {};
      } finally {
        req.raw.off('close', onClose);
      }
    });

    app.get('/artifacts/*', read({}), async (req, reply) => {
      const file = await artifacts.download((req.params as { '*': string })['*']);
      return reply
        .header('content-type', 'application/octet-stream')
        .header('x-content-type-options', 'nosniff')
        .header('content-length', file.size)
        .header('x-artifact-sha256', file.sha256)
        .header('etag', `"${file.sha256}"`)
        .send(file.body);
    });

    app.get('/artifacts', read({ querystring: open({ path: Str }) }), (req) => artifacts.list((req.query as { path?: string }).path));

    app.delete('/artifacts/*', write({}), async (req) => {
      await artifacts.remove((req.params as { '*': string })['*']);
      return {};
    });
  };
}
