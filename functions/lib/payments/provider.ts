import type { Money } from '../../../schemas/index.ts';

/** The outcome of a charge the provider answered. */
export type ChargeResult = { status: 'succeeded'; chargeId: string } | { status: 'declined'; declineCode: string };

/** Thrown when the provider could not answer (timeout, 5xx, network): safe to retry with the same idempotency key. */
export class TransientProviderError extends Error {}

/** A payment service provider (PSP). Calls with the same idempotency key have one effect, as with Stripe. */
export interface PaymentProvider {
  readonly name: string;
  charge(request: { idempotencyKey: string; amount: Money; token: string; orderId: string }): Promise<ChargeResult>;
  refund(request: { idempotencyKey: string; chargeId: string; amount: Money }): Promise<{ refundId: string }>;
}
