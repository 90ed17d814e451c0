import type { Envelope, EventData, EventType } from '../../schemas/index.ts';
import { stableId } from './ids.ts';

/**
 * Builds an event caused by `cause` (or the first of a saga when `cause` is null). Its id is derived from the saga
 * (correlation id) and the type, so a step that runs again publishes the very same event id.
 */
export function createEvent<T extends EventType>(
  type: T,
  data: EventData<T>,
  options: { correlationId: string; cause: Envelope | null; now: Date; key?: string },
): Envelope<T> {
  const eventId = stableId(options.correlationId, type, ...(options.key ? [options.key] : []));
  return {
    type,
    data,
    metadata: {
      eventId,
      occurredAt: options.now.toISOString(),
      correlationId: options.correlationId,
      causationId: options.cause?.metadata.eventId ?? null,
      version: 1,
    },
  } as Envelope<T>;
}
