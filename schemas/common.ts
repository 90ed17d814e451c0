import { z } from 'zod';

/** ISO 4217 currency code, upper case. */
export const Currency = z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as EUR');

/** An amount of money in integer minor units (cents) with its currency beside it. */
export const Money = z.object({
  amount: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  currency: Currency,
}).meta({ id: 'Money', description: 'An amount in integer minor units (cents; yen have none, dinars three) with its ISO 4217 currency.' });
export type Money = z.infer<typeof Money>;

/** Identifier of a catalog product (Firestore document id). */
export const ProductId = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, _ or -')
  // Firestore reserves document ids of the form __x__.
  .refine((id) => !/^__.*__$/.test(id), { message: 'must not look like __name__ (reserved)' });

/** Largest quantity a single order line may ask for. */
export const MAX_LINE_QUANTITY = 100;
/** Most lines one order may have. */
export const MAX_ORDER_LINES = 50;

/** Quantity of one order line. */
export const Quantity = z.number().int().min(1).max(MAX_LINE_QUANTITY);

/** A product and how many of it. */
export const StockLine = z.object({ productId: ProductId, quantity: Quantity });
export type StockLine = z.infer<typeof StockLine>;

/** How the customer is reached. */
export const Contact = z.object({
  email: z.email().max(254),
  phone: z
    .string()
    .regex(/^\+[1-9][0-9]{6,14}$/, 'must be an E.164 number such as +14155550123')
    .optional(),
});
export type Contact = z.infer<typeof Contact>;

/**
 * Why an order was cancelled: the card was declined, stock ran out, the capture failed, its deadline passed, or the
 * shop cancelled it (an operator, with a reason kept in the order's timeline).
 */
export const CancellationReason = z.enum(['payment_declined', 'out_of_stock', 'capture_failed', 'timeout', 'cancelled_by_shop']);
export type CancellationReason = z.infer<typeof CancellationReason>;

/** A payment method as the provider names it (Stripe: `pm_...`, test cards such as `pm_card_visa`). */
export const PaymentMethodId = z.string().regex(/^pm_[A-Za-z0-9_]{1,250}$/, 'must be a payment method id such as pm_card_visa');

/** What happens to the customer's money when an order is cancelled: nothing was taken, a hold is voided, or a capture refunded. */
export const MoneyBack = z.enum(['none', 'void', 'refund']);
export type MoneyBack = z.infer<typeof MoneyBack>;
