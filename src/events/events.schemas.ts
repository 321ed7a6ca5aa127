import { Type } from '@sinclair/typebox';
import { Nullable, Timestamp } from '../http/schemas.js';
import { EVENT_TYPES, type EventType } from './event-types.js';

/** A plain string enum: `?type=bogus` is a 400 listing the known types. */
export const EventTypeQuery = Type.Unsafe<EventType>({ type: 'string', enum: [...EVENT_TYPES] });

export const Event = Type.Object({
  id: Type.Integer(),
  type: Type.String(),
  model: Nullable(Type.String()),
  modelId: Nullable(Type.Integer({ description: 'the model incarnation; differs between a deleted model and a later one of the same name' })),
  data: Type.Record(Type.String(), Type.Unknown()),
  actor: Type.Union([Type.Object({ keyId: Type.String(), name: Nullable(Type.String()) }), Type.Null()]),
  createdAt: Timestamp,
});
