import type { CancellationReason, Envelope, MoneyBack, StockLine } from '../../schemas/index.ts';
import { setOutcome, type OrderRecord } from './db/orders.repository.ts';
import type { PaymentRecord } from './db/payments.repository.ts';
import { createEvent } from './events.ts';
import type { Knex } from './db/knex.ts';

/** What a cancelled order's money needs, from its payment as it stands: nothing, a void, or a refund. */
export function moneyBackOf(payment: PaymentRecord | null): MoneyBack {
  if (!payment) return 'none';
  switch (payment.status) {
    case 'DECLINED':
      return 'none';
    case 'CAPTURED':
    case 'REFUNDED':
      return 'refund';
    case 'AUTHORIZING':
    case 'AUTHORIZED':
    case 'CAPTURE_FAILED':
    case 'VOIDED':
      return 'void';
    default: {
      const unreachable: never = payment.status;
      throw new Error(`unknown payment status ${String(unreachable)}`);
    }
  }
}

/** The order.cancelled event of a cancelled order; its id is the same however often it is built. */
export function cancelledEvent(order: OrderRecord, payment: PaymentRecord | null, options: { cause: Envelope | null; now: Date }): Envelope<'order.cancelled'> {
  return createEvent(
    'order.cancelled',
    {
      orderId: order.id,
      customerId: order.customerId,
      reason: order.cancellationReason!,
      moneyBack: moneyBackOf(payment),
      total: order.total,
      contact: order.contact,
    },
    { correlationId: order.id, ...options },
  );
}

/** The order.confirmed event of a confirmed order. */
export function confirmedEvent(order: OrderRecord, lines: StockLine[], options: { cause: Envelope | null; now: Date }): Envelope<'order.confirmed'> {
  return createEvent(
    'order.confirmed',
    {
      orderId: order.id,
      customerId: order.customerId,
      total: order.total,
      lines: lines.map(({ productId, quantity }) => ({ productId, quantity })),
      contact: order.contact,
    },
    { correlationId: order.id, ...options },
  );
}

/**
 * Cancels a PENDING order inside its locked transaction and returns the event its compensations follow from (money
 * back, stock back, the customer told).
 */
export async function cancelOrder(
  trx: Knex,
  order: OrderRecord,
  payment: PaymentRecord | null,
  options: { reason: CancellationReason; cause: Envelope | null; now: Date },
): Promise<Envelope<'order.cancelled'>> {
  const cancelled = { ...order, status: 'CANCELLED' as const, cancellationReason: options.reason };
  const event = cancelledEvent(cancelled, payment, options);
  await setOutcome(trx, order, { to: 'CANCELLED', reason: options.reason, eventId: event.metadata.eventId, now: options.now });
  return event;
}
