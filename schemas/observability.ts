import { z } from 'zod';
import { OrderStatus } from './http.ts';

const At = z.iso.datetime();

/** One span of a trace, as the console draws it. */
export const SpanView = z
  .object({
    traceId: z.string(),
    spanId: z.string(),
    parentSpanId: z.string().nullable(),
    name: z.string(),
    kind: z.enum(['unspecified', 'internal', 'server', 'client', 'producer', 'consumer']),
    /** The function (or process) that recorded it. */
    service: z.string(),
    startedAt: At,
    ms: z.number(),
    /** The error's message when the span failed. */
    error: z.string().nullable(),
    attributes: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
  })
  .meta({ id: 'Span' });
export type SpanView = z.infer<typeof SpanView>;

/** The spans of an order's trace, oldest first. */
export const OrderTrace = z
  .object({
    orderId: z.uuid(),
    traceId: z.string().nullable(),
    spans: z.array(SpanView),
    /** Where the whole trace can be opened (Cloud Trace in production); null locally. */
    traceUrl: z.string().nullable(),
  })
  .meta({ id: 'OrderTrace' });
export type OrderTrace = z.infer<typeof OrderTrace>;

/** The order's status changed. */
const StatusEntry = z.object({
  kind: z.literal('status'),
  at: At,
  status: OrderStatus,
  /** Why: a cancellation reason (`payment_declined`, `timeout`, …), an attention reason, or `attention_resolved`. */
  reason: z.string().nullable(),
});

/** An event of the order's saga was published. */
const EventEntry = z.object({
  kind: z.literal('event'),
  at: At,
  eventId: z.uuid(),
  type: z.string(),
  /** The function that published it (`orders-api`, a step, `outbox-sweep`, `saga-watchdog`, `admin-api`). */
  producer: z.string().nullable(),
  /** The event it followed from; null for the first event of the saga and for republishes. */
  causationId: z.uuid().nullable(),
  /** Milliseconds from the event it followed from to this one: the time the step took, queueing included. */
  afterCauseMs: z.number().int().nullable(),
  /** Published by a compensation (money back, stock back, cancelling). */
  compensation: z.boolean(),
});

/** A step received one of the order's events: handled, failed (to be retried) or given up to the dead-letter topic. */
const DeliveryEntry = z.object({
  kind: z.literal('delivery'),
  at: At,
  function: z.string(),
  eventId: z.uuid(),
  eventType: z.string().nullable(),
  /** Pub/Sub's count of this delivery (1 for the first). */
  attempt: z.number().int().nullable(),
  outcome: z.enum(['handled', 'failed', 'dead_lettered']),
  /** The error's summary for a failed or dead-lettered delivery. */
  error: z.string().nullable(),
  ms: z.number().int(),
  /** Milliseconds the event waited for this delivery since it was published. */
  waitedMs: z.number().int().nullable(),
  compensation: z.boolean(),
  spanId: z.string().nullable(),
});

/** An event was given up and kept for an operator. */
const DeadLetterEntry = z.object({
  kind: z.literal('dead_letter'),
  at: At,
  deadLetterId: z.uuid(),
  function: z.string(),
  eventType: z.string().nullable(),
  cause: z.string(),
  lastError: z.string().nullable(),
  status: z.enum(['open', 'replayed', 'discarded']),
});

/** An operator acted on the order: replay, discard, retry, cancel. */
const OperatorEntry = z.object({ kind: z.literal('operator'), at: At, action: z.string(), actor: z.string(), reason: z.string().nullable() });

/** The customer was told, or could not be. */
const NotificationEntry = z.object({
  kind: z.literal('notification'),
  at: At,
  channel: z.enum(['email', 'sms']),
  template: z.string(),
  status: z.string(),
});

/** One entry of an order's timeline. */
export const TimelineEntry = z
  .discriminatedUnion('kind', [StatusEntry, EventEntry, DeliveryEntry, DeadLetterEntry, OperatorEntry, NotificationEntry])
  .meta({ id: 'TimelineEntry' });
export type TimelineEntry = z.infer<typeof TimelineEntry>;

/**
 * An order's saga in time order. The owner sees the customer view (status changes, the saga's events, messages
 * sent); an admin sees the full one (every delivery with its errors, dead letters, operator actions, the trace id).
 */
export const OrderTimeline = z
  .object({
    orderId: z.uuid(),
    view: z.enum(['customer', 'full']),
    traceId: z.string().nullable(),
    entries: z.array(TimelineEntry),
  })
  .meta({ id: 'OrderTimeline' });
export type OrderTimeline = z.infer<typeof OrderTimeline>;
