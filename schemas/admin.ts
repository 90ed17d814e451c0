import { z } from 'zod';
import { CancellationReason, Money, ProductId } from './common.ts';
import { eventTypes } from './events.ts';
import { AttentionReason, OrderStatus } from './http.ts';
import { functionNames } from './topology.ts';

/** Where a dead letter stands: waiting for an operator, sent again, or put aside with a reason. */
export const DeadLetterStatus = z.enum(['open', 'replayed', 'discarded']);
export type DeadLetterStatus = z.infer<typeof DeadLetterStatus>;

/** Why a message was given up: it failed on every attempt, it can never be read, or it names no order of ours. */
export const DeadLetterCause = z.enum(['max_attempts', 'poison', 'unknown_order']);
export type DeadLetterCause = z.infer<typeof DeadLetterCause>;

/** A dead-lettered message as an operator sees it. */
export const DeadLetterView = z.object({
  id: z.uuid(),
  function: z.string(),
  topic: z.string().nullable(),
  cause: DeadLetterCause,
  eventType: z.string().nullable(),
  eventId: z.string().nullable(),
  orderId: z.string().nullable(),
  attempts: z.number().int().nullable(),
  lastError: z.string().nullable(),
  status: DeadLetterStatus,
  firstFailedAt: z.iso.datetime().nullable(),
  deadLetteredAt: z.iso.datetime(),
  resolution: z.object({ by: z.string(), reason: z.string().nullable(), at: z.iso.datetime() }).nullable(),
  /** The message as it was published: its data (parsed when it is JSON) and attributes. */
  message: z.object({ data: z.unknown(), attributes: z.record(z.string(), z.string()) }),
}).meta({ id: 'DeadLetter' });
export type DeadLetterView = z.infer<typeof DeadLetterView>;

/** Query of `GET /v1/admin/dead-letters`. */
export const ListDeadLettersQuery = z.strictObject({
  status: DeadLetterStatus.default('open'),
  function: z.enum(functionNames).optional(),
  eventType: z.enum(eventTypes).optional(),
  orderId: z.uuid().optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(512).optional(),
});

/** Body of `POST /v1/admin/dead-letters/{id}/discard`. */
export const DiscardDeadLetterRequest = z.strictObject({ reason: z.string().trim().min(1).max(500) });

/** Query of `GET /v1/admin/orders`: every customer's orders, newest first, by status and reason. */
export const ListAdminOrdersQuery = z.strictObject({
  status: OrderStatus.optional(),
  reason: z.union([CancellationReason, AttentionReason]).optional().meta({ description: 'A cancellation reason, or with NEEDS_ATTENTION an attention reason.' }),
  customerId: z.string().min(1).max(128).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().max(512).optional(),
});

/** An order as the console lists it. */
export const AdminOrderSummary = z.object({
  id: z.uuid(),
  customerId: z.string(),
  status: OrderStatus,
  sagaStatus: z.enum(['PENDING', 'CONFIRMED', 'CANCELLED']),
  cancellationReason: CancellationReason.nullable(),
  attentionReason: AttentionReason.nullable(),
  total: Money,
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
}).meta({ id: 'AdminOrderSummary' });

/** Body of `POST /v1/admin/orders/{orderId}/cancel`: why the shop cancels it (kept with who and when). */
export const CancelOrderRequest = z.strictObject({ reason: z.string().trim().min(1).max(500) });

/** What cancelling an order set going: its compensations follow from the order.cancelled it published. */
export const OrderCancelledByShop = z.object({
  orderId: z.uuid(),
  status: z.literal('CANCELLED'),
  moneyBack: z.enum(['none', 'void', 'refund']),
  published: z.object({ type: z.literal('order.cancelled'), eventId: z.uuid() }),
}).meta({ id: 'OrderCancelledByShop' });

/** Which dead letters a bulk action takes: all open ones that match every given field. */
export const DeadLetterSelection = z.strictObject({
  function: z.enum(functionNames).optional(),
  eventType: z.enum(eventTypes).optional(),
  productId: ProductId.optional().meta({ description: 'Dead letters of orders with a line of this product.' }),
  from: z.iso.datetime().optional().meta({ description: 'Dead-lettered at or after this time.' }),
  to: z.iso.datetime().optional().meta({ description: 'Dead-lettered before this time.' }),
});

/** Body of `POST /v1/admin/dead-letters/bulk`. */
export const BulkDeadLettersRequest = z
  .strictObject({
    action: z.enum(['replay', 'discard']),
    /** True: only say what would happen; nothing changes. */
    dryRun: z.boolean(),
    select: DeadLetterSelection,
    /** Why: required to discard, kept with who and when. */
    reason: z.string().trim().min(1).max(500).optional(),
    /** At most this many dead letters are taken (oldest first); run again for the rest. */
    limit: z.number().int().min(1).max(100).default(100),
  })
  .refine((b) => b.action !== 'discard' || b.reason !== undefined, { message: 'discarding needs a reason', path: ['reason'] });

/** Something a replay would do again: money moved, stock moved, the order changed, or the customer told. */
export const ReplayEffect = z.object({
  kind: z.enum(['authorize', 'capture', 'void', 'refund', 'reserve', 'release', 'confirm', 'cancel', 'email', 'sms', 'record']),
  detail: z.string(),
});
export type ReplayEffect = z.infer<typeof ReplayEffect>;

/** One dead letter of a bulk action, with what a replay would do again. */
export const BulkDeadLetterItem = z.object({
  id: z.uuid(),
  function: z.string(),
  eventType: z.string().nullable(),
  orderId: z.string().nullable(),
  /** What replaying it would do again given the order as it stands; empty when every effect already happened. */
  effects: z.array(ReplayEffect),
  /** Why it cannot be replayed (a poison message), or null. */
  refused: z.string().nullable(),
  outcome: z.enum(['would-replay', 'would-discard', 'replayed', 'discarded', 'skipped']),
});

/** What a bulk action did (or, in a dry run, would do). */
export const BulkDeadLettersResult = z.object({
  action: z.enum(['replay', 'discard']),
  dryRun: z.boolean(),
  matched: z.number().int(),
  items: z.array(BulkDeadLetterItem),
  /** Every effect of the replays, counted by kind: `{ "authorize": 2, "email": 3 }`. */
  totals: z.record(z.string(), z.number().int()),
}).meta({ id: 'BulkDeadLettersResult' });
