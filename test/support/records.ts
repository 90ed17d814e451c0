import type { OrderRecord } from '../../functions/lib/db/orders.repository.ts';
import type { PaymentRecord } from '../../functions/lib/db/payments.repository.ts';

const orderId = 'a1b2c3d4-0000-4000-8000-000000000001';

/** An order record for pure tests, PENDING unless overridden. */
export const orderRecord = (over: Partial<OrderRecord> = {}): OrderRecord => ({
  id: orderId,
  customerId: 'cust-1',
  status: 'PENDING',
  cancellationReason: null,
  total: { amount: 300, currency: 'EUR' },
  contact: { email: 'a@example.com' },
  paymentMethod: 'pm_card_visa',
  createdAt: new Date('2026-11-27T10:00:00Z'),
  updatedAt: new Date('2026-11-27T10:00:00Z'),
  deadlineAt: new Date('2026-11-27T10:15:00Z'),
  attention: null,
  nudgedAt: null,
  nudges: 0,
  traceparent: null,
  ...over,
});

/** A payment record for pure tests, AUTHORIZED unless overridden. */
export const paymentRecord = (over: Partial<PaymentRecord> = {}): PaymentRecord => ({
  id: 'b1b2c3d4-0000-4000-8000-000000000002',
  orderId,
  status: 'AUTHORIZED',
  amount: { amount: 300, currency: 'EUR' },
  paymentMethod: 'pm_card_visa',
  intentId: 'pi_1',
  declineCode: null,
  captureError: null,
  releaseAttempts: 0,
  releaseError: null,
  refund: null,
  ...over,
});
