import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { Name, Page, PageQuery, responses } from '../http/schemas.js';
import { Event, EventTypeQuery } from './events.schemas.js';
import type { EventsService } from './events.service.js';

const AuditQuery = Type.Object(
  {
    ...PageQuery,
    model: Type.Optional(Name),
    includeDeleted: Type.Boolean({ default: false, description: 'also return events of deleted models (every incarnation of a reused name)' }),
    type: Type.Optional(EventTypeQuery),
  },
  { additionalProperties: false },
);

export function eventsRoutes(events: EventsService): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/events',
      {
        config: { scope: 'read' },
        schema: {
          operationId: 'listEvents',
          description:
            'The audit log across all models, newest first. `model` restricts it to one name; with `includeDeleted=true`, events of deleted models of that name too.',
          tags: ['events'],
          summary: 'Audit log across models, newest first; model=NAME with includeDeleted=true returns the history of deleted models too',
          querystring: AuditQuery,
          response: responses({ 200: Page(Event) }),
        },
      },
      async (req) => events.list(req.query),
    );
  };
}
