import type { Money } from '../../../schemas/index.ts';

/** The states of a Stripe PaymentIntent that this project meets. */
export type IntentStatus =
  | 'requires_payment_method'
  | 'requires_confirmation'
  | 'requires_action'
  | 'processing'
  | 'requires_capture'
  | 'canceled'
  | 'succeeded';

/** A payment intent as the provider reports it, in integer minor units. */
export interface ProviderIntent {
  id: string;
  status: IntentStatus;
  amount: Money;
  /** Captured so far (Stripe `amount_received`). */
  amountReceived: number;
  /** Refunded so far, summed over the intent's refunds. */
  amountRefunded: number;
  /** The order it was made for (metadata `orderId`), when it carries one. */
  orderId: string | null;
  created: Date;
}

/** The outcome of an authorization the provider answered. */
export type AuthorizeResult =
  | { status: 'authorized'; intentId: string }
  | { status: 'declined'; declineCode: string; intentId: string | null };

/** The outcome of a capture: taken, or refused for good (the authorization expired or was canceled). */
export type CaptureResult = { status: 'captured' } | { status: 'refused'; code: string };

/** The outcome of voiding an authorization; `already_captured` means the money was taken and must be refunded. */
export type VoidResult = { status: 'voided' } | { status: 'already_captured' } | { status: 'refused'; code: string };

/** The outcome of refunding a capture in full. */
export type RefundResult = { status: 'refunded'; refundId: string } | { status: 'refused'; code: string };

/** Options every provider call takes: an abort signal from the caller's deadline. */
export interface CallOptions {
  signal?: AbortSignal;
}

/**
 * A payment service provider spoken to as Stripe is: a PaymentIntent with manual capture is authorized, then captured
 * or canceled (voided); a capture is refunded. Calls with the same idempotency key have one effect. Business outcomes
 * are results; a provider that cannot answer (timeout, 5xx, 429, network) surfaces as DependencyUnavailable, safe to
 * retry with the same idempotency key.
 */
export interface PaymentProvider {
  readonly name: string;
  authorize(request: { idempotencyKey: string; amount: Money; paymentMethod: string; orderId: string }, options?: CallOptions): Promise<AuthorizeResult>;
  capture(request: { idempotencyKey: string; intentId: string; amount: Money }, options?: CallOptions): Promise<CaptureResult>;
  void(request: { idempotencyKey: string; intentId: string }, options?: CallOptions): Promise<VoidResult>;
  refund(request: { idempotencyKey: string; intentId: string; amount: Money }, options?: CallOptions): Promise<RefundResult>;
  retrieve(intentId: string, options?: CallOptions): Promise<ProviderIntent>;
  /** Every intent created since `createdFrom` (all when absent), oldest first: what reconciliation checks. */
  listIntents(options?: { createdFrom?: Date }): AsyncIterable<ProviderIntent>;
}
