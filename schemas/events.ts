import { z } from 'zod';
import { CancellationReason, Contact, Money, MoneyBack, PaymentMethodId, ProductId, StockLine } from './common.ts';

const PricedLine = StockLine.extend({ unitPrice: Money });
const Unavailable = z.object({ productId: ProductId, requested: z.number().int(), available: z.number().int() });

/** A customer placed an order; authorizing the payment is next. */
export const OrderPlaced = z.object({
  orderId: z.uuid(),
  customerId: z.string().min(1),
  total: Money,
  lines: z.array(PricedLine).min(1),
  payment: z.object({ method: PaymentMethodId }),
  contact: Contact,
});

/** The provider holds the order's total on the customer's card (authorized, not yet captured). */
export const PaymentAuthorized = z.object({
  orderId: z.uuid(),
  paymentId: z.uuid(),
  amount: Money,
  lines: z.array(StockLine).min(1),
});

/** The provider declined the authorization. */
export const PaymentFailed = z.object({
  orderId: z.uuid(),
  paymentId: z.uuid(),
  reason: z.literal('payment_declined'),
  declineCode: z.string(),
});

/** Every line of the order is reserved; capturing the payment is next. */
export const InventoryReserved = z.object({
  orderId: z.uuid(),
  paymentId: z.uuid(),
  lines: z.array(StockLine).min(1),
});

/** At least one line could not be reserved; nothing was reserved. */
export const InventoryReservationFailed = z.object({
  orderId: z.uuid(),
  paymentId: z.uuid(),
  reason: z.literal('out_of_stock'),
  unavailable: z.array(Unavailable),
});

/** The authorized amount was captured: the customer has paid. */
export const PaymentCaptured = z.object({
  orderId: z.uuid(),
  paymentId: z.uuid(),
  amount: Money,
});

/** The provider refused to capture the authorization; the reserved stock must go back. */
export const PaymentCaptureFailed = z.object({
  orderId: z.uuid(),
  paymentId: z.uuid(),
  reason: z.literal('capture_failed'),
  code: z.string(),
});

/** The order is final and will be fulfilled. */
export const OrderConfirmed = z.object({
  orderId: z.uuid(),
  customerId: z.string().min(1),
  total: Money,
  lines: z.array(StockLine).min(1),
  contact: Contact,
});

/** The order was cancelled; its compensations (money back, stock back) follow from this event. */
export const OrderCancelled = z.object({
  orderId: z.uuid(),
  customerId: z.string().min(1),
  reason: CancellationReason,
  /** What happens to the money, as known when the order was cancelled. */
  moneyBack: MoneyBack,
  total: Money,
  contact: Contact,
});

/** An authorization was voided: the hold on the card is released and nothing was taken. */
export const PaymentVoided = z.object({
  orderId: z.uuid(),
  paymentId: z.uuid(),
  amount: Money,
});

/** A captured payment was refunded in full as compensation. */
export const PaymentRefunded = z.object({
  orderId: z.uuid(),
  paymentId: z.uuid(),
  refundId: z.uuid(),
  amount: Money,
  reason: CancellationReason,
});

/** Stock reserved for a cancelled order went back on sale. */
export const InventoryReleased = z.object({
  orderId: z.uuid(),
  lines: z.array(StockLine).min(1),
});

const Template = z.enum(['order_confirmed', 'order_cancelled']);
const Channel = z.enum(['email', 'sms']);

/** A message reached the customer on one channel. */
export const NotificationSent = z.object({
  orderId: z.uuid(),
  template: Template,
  channel: Channel,
  providerMessageId: z.string(),
});

/** A message was permanently refused (for example an address the mail server rejects); the order stands. */
export const NotificationFailed = z.object({
  orderId: z.uuid(),
  template: Template,
  channel: Channel,
  error: z.string(),
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
  'payment.authorized': PaymentAuthorized,
  'payment.failed': PaymentFailed,
  'inventory.reserved': InventoryReserved,
  'inventory.reservation_failed': InventoryReservationFailed,
  'payment.captured': PaymentCaptured,
  'payment.capture_failed': PaymentCaptureFailed,
  'order.confirmed': OrderConfirmed,
  'order.cancelled': OrderCancelled,
  'payment.voided': PaymentVoided,
  'payment.refunded': PaymentRefunded,
  'inventory.released': InventoryReleased,
  'notification.sent': NotificationSent,
  'notification.failed': NotificationFailed,
  'catalog.product.changed': CatalogProductChanged,
} as const;

export type EventType = keyof typeof eventSchemas;
export type EventData<T extends EventType> = z.infer<(typeof eventSchemas)[T]>;
export const eventTypes = Object.keys(eventSchemas) as EventType[];

/** The event types of an order's saga (every type but the catalog's). */
export type OrderEventType = Exclude<EventType, 'catalog.product.changed'>;
export const orderEventTypes = eventTypes.filter((t): t is OrderEventType => t !== 'catalog.product.changed');

/** The notification templates and channels, for the notification records. */
export type NotificationTemplate = z.infer<typeof Template>;
export type NotificationChannel = z.infer<typeof Channel>;
