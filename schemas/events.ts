import { z } from 'zod';
import { CancellationReason, Contact, Money, ProductId, StockLine } from './common.ts';

const PricedLine = StockLine.extend({ unitPrice: Money });

/** A customer placed an order; payment is next. */
export const OrderPlaced = z.object({
  orderId: z.uuid(),
  customerId: z.string().min(1),
  total: Money,
  lines: z.array(PricedLine).min(1),
  payment: z.object({ token: z.string().min(1) }),
  contact: Contact,
});

/** The customer's payment was captured; carries what the refund and the reservation need. */
export const PaymentCharged = z.object({
  orderId: z.uuid(),
  paymentId: z.uuid(),
  amount: Money,
  lines: z.array(StockLine).min(1),
});

/** The payment provider declined the charge. */
export const PaymentFailed = z.object({
  orderId: z.uuid(),
  paymentId: z.uuid(),
  reason: z.literal('payment_declined'),
  declineCode: z.string(),
});

/** Every line of the order is reserved. */
export const InventoryReserved = z.object({
  orderId: z.uuid(),
  lines: z.array(StockLine).min(1),
});

/** At least one line could not be reserved; nothing was reserved. */
export const InventoryReservationFailed = z.object({
  orderId: z.uuid(),
  paymentId: z.uuid(),
  reason: z.literal('out_of_stock'),
  unavailable: z.array(z.object({ productId: ProductId, requested: z.number().int(), available: z.number().int() })),
});

/** A captured payment was refunded in full as compensation. */
export const PaymentRefunded = z.object({
  orderId: z.uuid(),
  paymentId: z.uuid(),
  refundId: z.uuid(),
  amount: Money,
  reason: CancellationReason,
});

/** The order is final and will be fulfilled. */
export const OrderConfirmed = z.object({
  orderId: z.uuid(),
  customerId: z.string().min(1),
  total: Money,
  lines: z.array(StockLine).min(1),
  contact: Contact,
});

/** The order was cancelled; any payment was refunded first. */
export const OrderCancelled = z.object({
  orderId: z.uuid(),
  customerId: z.string().min(1),
  reason: CancellationReason,
  refunded: Money.optional(),
  contact: Contact,
});

/** A message reached the customer on one channel. */
export const NotificationSent = z.object({
  orderId: z.uuid(),
  template: z.enum(['order_confirmed', 'order_cancelled']),
  channel: z.enum(['email', 'sms']),
  providerMessageId: z.string(),
});

/** A product was created, changed, archived, restored or had its stock adjusted by an admin. */
export const CatalogProductChanged = z.object({
  productId: ProductId,
  change: z.enum(['created', 'updated', 'archived', 'restored', 'stock_adjusted']),
  /** The product's version after the change (its ETag without quotes). */
  version: z.string(),
});

/** Every event type with the schema of its data; a topic is named after the event type it carries. */
export const eventSchemas = {
  'order.placed': OrderPlaced,
  'payment.charged': PaymentCharged,
  'payment.failed': PaymentFailed,
  'inventory.reserved': InventoryReserved,
  'inventory.reservation_failed': InventoryReservationFailed,
  'payment.refunded': PaymentRefunded,
  'order.confirmed': OrderConfirmed,
  'order.cancelled': OrderCancelled,
  'notification.sent': NotificationSent,
  'catalog.product.changed': CatalogProductChanged,
} as const;

export type EventType = keyof typeof eventSchemas;
export type EventData<T extends EventType> = z.infer<(typeof eventSchemas)[T]>;
export const eventTypes = Object.keys(eventSchemas) as EventType[];
