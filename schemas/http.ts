import { z } from 'zod';
import { attributeNames, categoryIds } from './catalog.ts';
import { CancellationReason, Contact, MAX_ORDER_LINES, Money, PaymentMethodId, ProductId, Quantity } from './common.ts';

/** Body of `POST /v1/orders`. Prices are never taken from the client. */
export const PlaceOrderRequest = z.strictObject({
  items: z
    .array(z.strictObject({ productId: ProductId, quantity: Quantity }))
    .min(1)
    .max(MAX_ORDER_LINES)
    .refine((items) => new Set(items.map((i) => i.productId)).size === items.length, {
      message: 'each product may appear once; add up the quantities instead',
    }),
  payment: z.strictObject({ method: PaymentMethodId }),
  contact: Contact.strict(),
}).meta({ id: 'PlaceOrder' });
export type PlaceOrderRequest = z.infer<typeof PlaceOrderRequest>;

/** Where the saga of an order stands: PENDING until it ends in CONFIRMED or CANCELLED. */
export const SagaStatus = z.enum(['PENDING', 'CONFIRMED', 'CANCELLED']);
export type SagaStatus = z.infer<typeof SagaStatus>;

/**
 * Order states as the API shows them: the saga's status, or NEEDS_ATTENTION while something the saga cannot fix by
 * itself is open (a dead-lettered event, money the provider refuses to give back); it returns to the saga's status
 * once that is resolved.
 */
export const OrderStatus = z.enum([...SagaStatus.options, 'NEEDS_ATTENTION']);
export type OrderStatus = z.infer<typeof OrderStatus>;

/** Why an order needs an operator. */
export const AttentionReason = z.enum(['dead_letter', 'release_failed']);
export type AttentionReason = z.infer<typeof AttentionReason>;

/** Payment states: authorized (held) first, captured once stock is reserved; voided or refunded when cancelled. */
export const PaymentStatus = z.enum(['AUTHORIZING', 'AUTHORIZED', 'DECLINED', 'CAPTURED', 'CAPTURE_FAILED', 'VOIDED', 'REFUNDED']);
export type PaymentStatus = z.infer<typeof PaymentStatus>;

/** The `Idempotency-Key` request header (IETF httpapi draft): one key per logical request, reused on retries. */
export const IdempotencyKey = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[\x21-\x7e]+$/, 'must be 1-255 visible ASCII characters, for example a UUID');

/** An order as the API returns it. */
export const OrderView = z.object({
  id: z.uuid(),
  status: OrderStatus,
  cancellationReason: CancellationReason.nullable(),
  /** Set while the order needs an operator; `sagaStatus` is where the saga itself stands. */
  attention: z.object({ reason: AttentionReason, detail: z.string(), since: z.iso.datetime(), sagaStatus: SagaStatus }).nullable(),
  /** The saga must end by then; past it, the watchdog cancels the order (reason `timeout`) and gives everything back. */
  deadlineAt: z.iso.datetime(),
  lines: z.array(
    z.object({ productId: ProductId, name: z.string(), quantity: z.number().int(), unitPrice: Money, lineTotal: Money }),
  ),
  total: Money,
  contact: Contact,
  payment: z
    .object({
      status: PaymentStatus,
      amount: Money,
      declineCode: z.string().nullable(),
      refund: z.object({ amount: Money, refundedAt: z.iso.datetime() }).nullable(),
    })
    .nullable(),
  history: z.array(z.object({ status: OrderStatus, reason: z.string().nullable(), at: z.iso.datetime() })),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
}).meta({ id: 'Order' });
export type OrderView = z.infer<typeof OrderView>;

/** Query of `GET /v1/orders`. */
export const ListOrdersQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(512).optional(),
});

const list = (item: z.ZodString) =>
  z
    .string()
    .max(500)
    .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean))
    .pipe(z.array(item).min(1).max(20));
const minorUnits = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/** Orders a product listing can be sorted in; relevance needs search words and falls back to name without them. */
export const ProductSort = z.enum(['relevance', 'price_asc', 'price_desc', 'newest', 'name']);
export type ProductSort = z.infer<typeof ProductSort>;

/** Query of `GET /v1/products`: search words, filters, sort and page. Lists are comma-separated. */
export const ListProductsQuery = z
  .strictObject({
    q: z.string().trim().max(200).optional(),
    category: z.enum(categoryIds).optional(),
    brand: list(z.string().max(100)).optional(),
    minPrice: minorUnits.optional(),
    maxPrice: minorUnits.optional(),
    inStock: z.enum(['true', 'false']).transform((v) => v === 'true').optional(),
    ...Object.fromEntries(attributeNames.map((name) => [name, list(z.string().max(50)).optional()])),
    sort: ProductSort.default('relevance'),
    limit: z.coerce.number().int().min(1).max(100).default(20),
    cursor: z.string().max(512).optional(),
  })
  .refine((q) => q.minPrice === undefined || q.maxPrice === undefined || q.minPrice <= q.maxPrice, {
    message: 'minPrice must not be above maxPrice',
    path: ['minPrice'],
  });

/** A catalog product as the API returns it. */
export const ProductView = z.object({
  id: ProductId,
  name: z.string(),
  description: z.string(),
  category: z.string(),
  categories: z.array(z.string()),
  brand: z.string(),
  price: Money,
  attributes: z.record(z.string(), z.array(z.string())),
  imageUrls: z.array(z.string()),
  available: z.number().int(),
}).meta({ id: 'Product' });
export type ProductView = z.infer<typeof ProductView>;
