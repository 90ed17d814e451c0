import type { Knex } from 'knex';
import type { OrderEventType } from '../../schemas/index.ts';
import type { StepHandler } from '../lib/step.ts';
import { traceIdOf } from '../lib/telemetry.ts';

/**
 * Writes down each event of an order's saga once, by event id: its type, its cause, the function that published it
 * and its trace. A redelivery or a replay of the same event changes nothing.
 */
export function createSagaAudit(deps: { db: Knex }): StepHandler<OrderEventType> {
  return async (event, { now, attributes }) => {
    await deps.db('saga_events')
      .insert({
        event_id: event.metadata.eventId,
        order_id: event.metadata.correlationId,
        type: event.type,
        causation_id: event.metadata.causationId,
        producer: attributes.producer ?? null,
        occurred_at: new Date(event.metadata.occurredAt),
        recorded_at: now,
        trace_id: traceIdOf(attributes.googclient_traceparent ?? attributes.traceparent),
        data: JSON.stringify(event.data),
      })
      .onConflict('event_id')
      .ignore();
    return [];
  };
}
