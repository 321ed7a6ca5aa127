import { Type } from '@sinclair/typebox';
import { Nullable, Timestamp } from '../http/schemas.js';
import { EVENT_TYPES, type EventType } from './event-types.js';

/** A plain string enum: `?type=bogus` is a 400 listing the known types. */
export const EventTypeQuery = Type.Unsafe<EventType>({ type: 'string', enum: [...EVENT_TYPES] });

export const Event = Type.Object(
  {
    id: Type.Integer(),
    type: Type.String(),
    model: Nullable(Type.String()),
    modelId: Nullable(Type.Integer({ description: 'the model incarnation; differs between a deleted model and a later one of the same name' })),
    data: Type.Record(Type.String(), Type.Unknown()),
    actor: Type.Union([Type.Object({ keyId: Type.String(), name: Nullable(Type.String()) }), Type.Null()]),
    createdAt: Timestamp,
  },
  {
    $id: 'Event',
    title: 'Event',
    examples: [
      {
        id: 812,
        type: 'alias.moved',
        model: 'churn',
        modelId: 4,
        data: { alias: 'production', from: 2, to: 3 },
        actor: { keyId: 'key_7f3a', name: 'ci' },
        createdAt: '2026-12-02T08:00:00.000Z',
      },
    ],
  },
);
