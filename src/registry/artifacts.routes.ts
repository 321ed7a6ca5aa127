import type { Readable } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { Id, Name, Page, PageQuery, responses, VersionParams } from '../http/schemas.js';
import type { ArtifactsService } from './artifacts.service.js';
import { Artifact } from './registry.schemas.js';

const tags = ['artifacts'];
const ArtifactParams = Type.Object(
  { name: Name, version: Id, '*': Type.String({ description: 'artifact path, e.g. model/weights.bin' }) },
  { additionalProperties: false },
);

/** What a download says about the bytes besides the bytes (declared in the OpenAPI document). */
const ARTIFACT_HEADERS = {
  'X-Artifact-Sha256': { type: 'string', pattern: '^[0-9a-f]{64}$', description: "SHA-256 of the artifact's bytes, hex" },
  ETag: { type: 'string', description: 'The sha256, quoted' },
  'Content-Length': { type: 'integer', minimum: 0, description: 'Size in bytes' },
  'Content-Disposition': { type: 'string', description: 'attachment, with the file name (RFC 6266; UTF-8 names per RFC 8187)' },
  'X-Artifact-Content-Type': { type: 'string', description: 'The Content-Type the artifact was uploaded with' },
};

/** RFC 6266: an ASCII fallback plus the exact UTF-8 name (RFC 8187). */
function contentDisposition(path: string): string {
  const base = path.slice(path.lastIndexOf('/') + 1);
  const ascii = base.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  const encoded = encodeURIComponent(base).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

/**
 * Artifact bytes stream straight through to the store: this plugin replaces the JSON parsers
 * with a pass-through so a 1 GiB upload never sits in memory (and bodyLimit does not apply).
 */
export function artifactsRoutes(artifacts: ArtifactsService): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', (_req, payload, done) => done(null, payload));

    app.put(
      '/models/:name/versions/:version/artifacts/*',
      {
        // Any media type is stored as sent (and echoed in X-Artifact-Content-Type on download).
        config: { scope: 'models:write', rawBody: true, accepts: ['application/octet-stream', '*/*'] },
        schema: {
          operationId: 'uploadArtifact',
          description:
            'Streams the request body to the artifact store under the given path, replacing an artifact of the same path. The answer carries its size and sha256.',
          tags,
          summary: 'Upload (or replace) an artifact; the body is the raw bytes, streamed',
          params: ArtifactParams,
          response: responses({ 201: Artifact }, [
            'MODEL_NOT_FOUND',
            'VERSION_NOT_FOUND',
            'INVALID_ARTIFACT_PATH',
            'ARTIFACT_PATH_CONFLICT',
            'ARTIFACT_STORE_UNAVAILABLE',
          ]),
        },
      },
      async (req, reply) => {
        const body = (req.body ?? req.raw) as Readable;
        const contentType = req.headers['content-type'] ?? 'application/octet-stream';
        // The connection closing before we answered means the client gave up: abandon the upload
        // (and its multipart upload) rather than commit something nobody was told about.
        const gone = new AbortController();
        const onClose = () => {
          if (!reply.raw.writableEnded) gone.abort(new Error('client went away'));
        };
        reply.raw.once('close', onClose);
        try {
          const artifact = await artifacts.upload(req.params.name, req.params.version, req.params['*'], body, contentType, req.actor, gone.signal);
          return await reply.status(201).send(artifact);
        } finally {
          reply.raw.off('close', onClose);
        }
      },
    );

    app.get(
      '/models/:name/versions/:version/artifacts/*',
      {
        config: { scope: 'read' },
        schema: {
          operationId: 'downloadArtifact',
          description:
            "Streams the artifact's bytes as an attachment (application/octet-stream). Its sha256 is in X-Artifact-Sha256 and the ETag, the type it was uploaded with in X-Artifact-Content-Type.",
          tags,
          summary: 'Download an artifact; X-Artifact-Sha256 and Content-Length describe it',
          params: ArtifactParams,
          response: responses(
            {
              200: Type.String({
                format: 'binary',
                contentMediaType: 'application/octet-stream',
                description: 'The artifact bytes',
                headers: ARTIFACT_HEADERS,
              }),
            },
            ['MODEL_NOT_FOUND', 'VERSION_NOT_FOUND', 'INVALID_ARTIFACT_PATH', 'ARTIFACT_NOT_FOUND', 'ARTIFACT_STORE_UNAVAILABLE'],
          ),
        },
      },
      async (req, reply) => {
        const { artifact, body } = await artifacts.download(req.params.name, req.params.version, req.params['*']);
        // Uploaded bytes are never rendered by a browser on our origin (HTML/SVG would run script
        // there): always a download; the uploader's type travels in its own header.
        return reply
          .header('content-type', 'application/octet-stream')
          .header('content-disposition', contentDisposition(artifact.path))
          .header('x-artifact-content-type', artifact.contentType)
          .header('x-content-type-options', 'nosniff')
          .header('content-length', artifact.size)
          .header('x-artifact-sha256', artifact.sha256)
          .header('etag', `"${artifact.sha256}"`)
          .send(body);
      },
    );

    app.get(
      '/models/:name/versions/:version/artifacts',
      {
        config: { scope: 'read' },
        schema: {
          operationId: 'listArtifacts',
          description: "Lists the version's artifacts with path, size, sha256 and content type.",
          tags,
          summary: 'List the artifacts of a version: path, size, sha256',
          params: VersionParams,
          querystring: Type.Object(PageQuery, { additionalProperties: false }),
          response: responses({ 200: Page(Artifact) }, ['MODEL_NOT_FOUND', 'VERSION_NOT_FOUND']),
        },
      },
      async (req) => artifacts.list(req.params.name, req.params.version, req.query),
    );
  };
}
