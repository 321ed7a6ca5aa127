import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ModelParams, Page, responses } from '../http/schemas.js';
import { ListModelsQuery } from '../registry/registry.schemas.js';
import { ModelSummary } from './summary.schemas.js';
import type { SummaryService } from './summary.service.js';

const tags = ['models'];

/** The dashboard's read model: one request for the models page, one for a model's headline. */
export function summaryRoutes(summaries: SummaryService): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/model-summaries',
      {
        config: { scope: 'read' },
        schema: {
          operationId: 'listModelSummaries',
          tags,
          summary:
            'Models with monitoring health (healthy, stale, failing, no_reference, idle), latest drift verdict and window, drifting since, performance and newest retrain job',
          description:
            'The dashboard models page in one request: each model of the page (same filters and cursor as `GET /models`) with its health, the newest window and its verdict, the run of drifted windows, the newest performance section and retrain job.',
          querystring: ListModelsQuery,
          response: responses({ 200: Page(ModelSummary) }),
        },
      },
      async (req) => summaries.list(req.query),
    );

    app.get(
      '/models/:name/summary',
      {
        config: { scope: 'read' },
        schema: {
          operationId: 'getModelSummary',
          tags,
          summary: "One model's monitoring health, latest drift verdict, drifting since, performance and newest retrain job",
          description:
            "One model's headline for the dashboard: health (stale after two time windows, or 6 h on count windows), the newest window's verdict and since when it drifts, performance, the newest retrain job.",
          params: ModelParams,
          response: responses({ 200: ModelSummary }, ['MODEL_NOT_FOUND']),
        },
      },
      async (req) => summaries.get(req.params.name),
    );
  };
}
