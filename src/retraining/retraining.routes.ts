import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Readable } from 'node:stream';
import { Id, ModelParams, Page, responses, VersionParams } from '../http/schemas.js';
import type { RetrainJobsService } from './retrain-jobs.service.js';
import { CompleteBody, Lineage, ListRetrainJobsQuery, ManualRetrainBody, RetrainJobParams, RetrainJobView } from './retrain.schemas.js';

const tags = ['retraining'];

/** Thin routes over the retrain jobs service. Register under /api/v1. */
export function retrainingRoutes(jobs: RetrainJobsService): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      '/models/:name/retrain',
      {
        // admin: the body may carry an executor, i.e. a command the worker will run.
        config: { scope: 'admin' },
        schema: {
          operationId: 'requestRetrain',
          description:
            "Queues a retrain job of the model now, whatever the drift reports say. The body may name the base version and override the monitor's executor. Answers 202 with the queued job.",
          tags,
          summary: 'Queue a manual retrain of the model (409 RETRAIN_ACTIVE while one is queued or running)',
          params: ModelParams,
          body: Type.Optional(ManualRetrainBody),
          response: responses({ 202: RetrainJobView }, ['MODEL_NOT_FOUND', 'VERSION_NOT_FOUND', 'RETRAIN_ACTIVE', 'RETRAIN_NOT_CONFIGURED']),
        },
      },
      async (req, reply) => reply.status(202).send(await jobs.requestManual(req.params.name, req.body ?? {}, req.actor)),
    );

    app.get(
      '/retrain-jobs',
      {
        config: { scope: 'read' },
        schema: {
          operationId: 'listRetrainJobs',
          description: 'Lists retrain jobs, newest first; `model` and `status` filter.',
          tags,
          summary: 'Retrain jobs, newest first',
          querystring: ListRetrainJobsQuery,
          response: responses({ 200: Page(RetrainJobView) }),
        },
      },
      async (req) => jobs.list(req.query),
    );

    app.get(
      '/retrain-jobs/:id',
      {
        config: { scope: 'read' },
        schema: {
          operationId: 'getRetrainJob',
          description:
            'Returns one retrain job: status, trigger, timings, log tail, the evaluation of challenger against champion and the version it produced.',
          tags,
          summary: 'One retrain job: status, trigger, timings, log tail, the version it produced',
          params: RetrainJobParams,
          response: responses({ 200: RetrainJobView }, ['RETRAIN_JOB_NOT_FOUND']),
        },
      },
      async (req) => jobs.get(req.params.id),
    );

    app.post(
      '/retrain-jobs/:id/cancel',
      {
        config: { scope: 'models:write' },
        schema: {
          operationId: 'cancelRetrainJob',
          description: 'Cancels the job: a queued job at once, a running one by stopping its trainer (its process group is killed). Answers 202 with the job.',
          tags,
          summary: 'Cancel: a queued job at once; a running one is stopped (its trainer process group killed)',
          params: RetrainJobParams,
          response: responses({ 202: RetrainJobView }, ['RETRAIN_JOB_NOT_FOUND', 'RETRAIN_JOB_FINISHED']),
        },
      },
      async (req, reply) => reply.status(202).send(await jobs.cancel(req.params.id, req.actor)),
    );

    app.post(
      '/retrain-jobs/:id/complete',
      {
        config: { scope: 'models:write' },
        schema: {
          operationId: 'completeRetrainJob',
          description:
            "The callback of an external pipeline (webhook executor): after uploading its outputs it reports status and metrics here, and the job registers the new version. `attempt` must be the job's current attempt.",
          tags,
          summary: 'Callback of an external pipeline (webhook executor): outputs uploaded first, then metrics and status here',
          params: RetrainJobParams,
          body: CompleteBody,
          response: responses({ 202: RetrainJobView }, ['RETRAIN_JOB_NOT_FOUND', 'RETRAIN_JOB_FINISHED', 'RETRAIN_JOB_NOT_EXTERNAL', 'RETRAIN_ATTEMPT_STALE']),
        },
      },
      async (req, reply) => reply.status(202).send(await jobs.complete(req.params.id, req.body, req.actor)),
    );

    app.get(
      '/models/:name/versions/:version/lineage',
      {
        config: { scope: 'read' },
        schema: {
          operationId: 'getLineage',
          description: 'The chain from this version back to the first, each link with the drift report and the retrain job that produced it.',
          tags,
          summary: 'The chain back to the first version, each link with its drift report and retrain job',
          params: VersionParams,
          response: responses({ 200: Lineage }, ['MODEL_NOT_FOUND', 'VERSION_NOT_FOUND']),
        },
      },
      async (req) => jobs.lineage(req.params.name, req.params.version),
    );

    // Raw bytes, streamed: its own scope so the pass-through parser does not affect the JSON routes.
    await app.register((async (raw) => {
      raw.removeAllContentTypeParsers();
      raw.addContentTypeParser('*', (_req, payload, done) => done(null, payload));
      raw.put(
        '/retrain-jobs/:id/outputs/*',
        {
          config: { scope: 'models:write', rawBody: true, accepts: ['application/octet-stream', '*/*'] },
          schema: {
            operationId: 'uploadRetrainOutput',
            description: 'An external pipeline streams one output file of a running job; it becomes an artifact of the version the job registers.',
            tags,
            summary: 'An external pipeline uploads an output file of a running job (becomes an artifact of the new version)',
            params: Type.Object({ id: Id, '*': Type.String() }),
            /** The `attempt` of the request the pipeline answers: an upload for an attempt no longer the job's is refused (409). */
            querystring: Type.Object({ attempt: Type.Optional(Id) }),
            response: responses(
              {
                201: Type.Object(
                  { path: Type.String(), size: Type.Integer(), sha256: Type.String() },
                  { examples: [{ path: 'model.pkl', size: 20480, sha256: 'a3f5c0de9b1e4f27a3f5c0de9b1e4f27a3f5c0de9b1e4f27a3f5c0de9b1e4f27' }] },
                ),
              },
              [
                'RETRAIN_JOB_NOT_FOUND',
                'RETRAIN_JOB_FINISHED',
                'RETRAIN_JOB_NOT_EXTERNAL',
                'RETRAIN_ATTEMPT_STALE',
                'INVALID_ARTIFACT_PATH',
                'ARTIFACT_STORE_UNAVAILABLE',
              ],
            ),
          },
        },
        async (req, reply) => {
          const body = (req.body ?? req.raw) as Readable;
          return reply
            .status(201)
            .send(await jobs.uploadOutput(req.params.id, req.params['*'], body, req.headers['content-type'] ?? 'application/octet-stream', req.query.attempt));
        },
      );
    }) as FastifyPluginAsyncTypebox);
  };
}
