import { z } from 'zod';
import {
  AdminOrderSummary, BulkDeadLettersRequest, BulkDeadLettersResult, CancelOrderRequest, DeadLetterView, DiscardDeadLetterRequest, ListAdminOrdersQuery, ListDeadLettersQuery, OrderCancelledByShop,
} from './admin.ts';
import { CreateProductRequest, StockAdjustmentRequest, UpdateProductRequest } from './catalog.ts';
import { CancellationReason, Money, ProductId } from './common.ts';
import { eventTypes } from './events.ts';
import { OrderTimeline, OrderTrace } from './observability.ts';
import { ListOrdersQuery, ListProductsQuery, OrderStatus, OrderView, PlaceOrderRequest, ProductView } from './http.ts';
import type { ProblemSlug } from './problems.ts';
import type { FunctionName } from './topology.ts';

/**
 * The API's version. Raise the major version for a change that breaks a client (the compatibility check in
 * `npm test` fails on one otherwise), the minor version for an addition.
 */
export const API_VERSION = '1.1.0';

/** Who may call an operation: anyone, a signed-in customer (their own data only), or an admin. */
export const Access = z.enum(['public', 'customer', 'admin']);
export type Access = z.infer<typeof Access>;

/**
 * The rate-limit bucket an operation counts against: reads, placing orders, admin writes. Each has its own limits
 * per caller and per client IP (configuration: RATE_LIMIT_*).
 */
export const LimitClass = z.enum(['read', 'order', 'admin-write']);
export type LimitClass = z.infer<typeof LimitClass>;

/** Image types an upload may be (judged by its bytes). */
export const IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/webp'] as const;
/** Largest image an admin may upload. */
export const MAX_IMAGE_BYTES = 5 * 1024 * 1024;
/** Largest JSON body any operation takes; an order of 50 lines is about 4 KiB. */
export const MAX_JSON_BODY_BYTES = 16 * 1024;
/** Largest JSON body of a product (its description may be 5,000 characters). */
export const MAX_PRODUCT_BODY_BYTES = 64 * 1024;

const OrderId = z.uuid().meta({ description: 'An order id (UUID).', example: '3f1c2a4e-8f9b-4c55-9a39-0c7de1d5a001' });
const DeadLetterId = z.uuid().meta({ description: 'A dead letter id (UUID).' });
const ImageId = z.string().regex(/^[A-Za-z0-9-]{1,64}$/).meta({ description: 'An image id, as the upload answered it.' });
const ProductIdParam = ProductId.meta({ example: 'p-00001' });
const Cursor = z.string().nullable().meta({ description: 'Pass as `cursor` to read the next page; null on the last page.' });

/** The answer to an accepted order: the saga runs on; poll `Location` for its outcome. */
export const OrderAccepted = z
  .object({
    id: z.uuid(),
    status: OrderStatus,
    total: Money,
    lines: z.array(z.object({ productId: ProductId, name: z.string(), quantity: z.number().int(), unitPrice: Money })),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'OrderAccepted' });

/** A page of the caller's orders, newest first. */
export const OrderPage = z
  .object({
    items: z.array(z.object({ id: z.uuid(), status: OrderStatus, cancellationReason: CancellationReason.nullable(), total: Money, createdAt: z.iso.datetime() })),
    nextCursor: Cursor,
  })
  .meta({ id: 'OrderPage' });

/** How many products of the result fall in each category, brand and price band. */
export const Facets = z
  .object({
    category: z.record(z.string(), z.number().int()),
    brand: z.record(z.string(), z.number().int()),
    price: z.array(z.object({ min: z.number().int().nullable(), max: z.number().int().nullable(), count: z.number().int() })),
  })
  .meta({ id: 'Facets' });

/** A page of search results with the facets of the whole result. */
export const ProductPage = z
  .object({ items: z.array(ProductView), facets: Facets, total: z.number().int(), nextCursor: Cursor })
  .meta({ id: 'ProductPage' });

/** A product as an admin sees it: with its status (archived products are hidden from shoppers). */
export const AdminProductView = ProductView.extend({ status: z.enum(['active', 'archived']) }).meta({ id: 'AdminProduct' });

/** Stock after an adjustment. */
export const StockLevel = z.object({ productId: ProductId, available: z.number().int() }).meta({ id: 'StockLevel' });

/** An uploaded image. */
export const ProductImageView = z
  .object({ id: z.string(), url: z.string(), contentType: z.enum(IMAGE_TYPES), bytes: z.number().int() })
  .meta({ id: 'ProductImage' });

/** Body of `PUT /v1/products/{productId}/images/order`: every image id of the product, in the new order. */
export const ImageOrderRequest = z.strictObject({ imageIds: z.array(ImageId).min(1).max(20) }).meta({ id: 'ImageOrder' });

/** A product's images in their order. */
export const ImageOrderView = z.object({ imageUrls: z.array(z.string()), imageIds: z.array(z.string()) }).meta({ id: 'ImageList' });

/** A page of every customer's orders, newest first. */
export const AdminOrderPage = z.object({ items: z.array(AdminOrderSummary), nextCursor: Cursor }).meta({ id: 'AdminOrderPage' });

/** A page of dead letters, newest first. */
export const DeadLetterPage = z.object({ items: z.array(DeadLetterView), nextCursor: Cursor }).meta({ id: 'DeadLetterPage' });

/** What retrying an order published again. */
export const OrderRetried = z
  .object({ orderId: z.uuid(), republished: z.object({ type: z.enum(eventTypes), eventId: z.string() }) })
  .meta({ id: 'OrderRetried' });

/** Request headers an operation may read. */
export type RequestHeader = 'Idempotency-Key' | 'If-Match' | 'If-None-Match';
/** Response headers an operation may send (besides the ones every answer carries). */
export type ResponseHeader = 'Location' | 'ETag' | 'Cache-Control' | 'Idempotent-Replayed';

/** One answer of an operation. */
export interface Answer {
  description: string;
  schema?: z.ZodType;
  headers?: readonly ResponseHeader[];
}

/** The body an operation takes: JSON checked against a schema, or the bytes of an image. */
export type BodySpec =
  | { kind: 'json'; schema: z.ZodType; mediaType: 'application/json' | 'application/merge-patch+json'; maxBytes: number }
  | { kind: 'image'; maxBytes: number };

/** One HTTP operation: who serves it, who may call it, what it takes and answers, and what limits it. */
export interface Operation {
  fn: FunctionName;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** OpenAPI path template; `{name}` segments are path parameters, in the order `params` lists them. */
  path: `/${string}`;
  access: Access;
  limit: LimitClass;
  tag: 'Orders' | 'Catalog' | 'Catalog administration' | 'Saga operations';
  summary: string;
  description?: string;
  /** Path parameters; a value that does not match answers 404, as an id that does not exist would. */
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: BodySpec;
  headers?: readonly { name: RequestHeader; required: boolean; description: string }[];
  /** Honours `Idempotency-Key`: a retry replays the first answer. */
  idempotent?: true;
  responses: Partial<Record<200 | 201 | 202 | 204 | 304, Answer>>;
  /** Problems of this operation itself; the ones every operation of its kind may answer are added from its spec. */
  problems: readonly ProblemSlug[];
}

const idempotencyHeader = {
  name: 'Idempotency-Key',
  required: false,
  description: 'One key per logical request (a UUID); a retry with the same key and body replays the first answer. Kept 24 h, per caller.',
} as const;
const ifMatch = (required: boolean) =>
  ({ name: 'If-Match', required, description: 'The ETag of the product as you last read it; a changed product answers 412.' }) as const;
const ifNoneMatch = { name: 'If-None-Match', required: false, description: 'An ETag you hold; an unchanged answer is 304 with no body.' } as const;
const json = <S extends z.ZodType>(schema: S, maxBytes = MAX_JSON_BODY_BYTES, mediaType: 'application/json' | 'application/merge-patch+json' = 'application/json') =>
  ({ kind: 'json', schema, mediaType, maxBytes }) as const;

/** Archiving and restoring a product: the same action on one product, in the two directions. */
const productAction = <A extends 'archive' | 'restore'>(action: A, summary: string) =>
  ({
    fn: 'catalog-api',
    method: 'POST',
    path: `/v1/products/{productId}/${action}`,
    access: 'admin',
    limit: 'admin-write',
    tag: 'Catalog administration',
    summary,
    params: z.object({ productId: ProductIdParam }),
    headers: [idempotencyHeader, ifMatch(false)],
    idempotent: true,
    responses: { 200: { description: 'The product as it is now.', schema: AdminProductView, headers: ['ETag', 'Idempotent-Replayed'] } },
    problems: ['conflict', 'precondition-failed', 'idempotency-key-reused', 'idempotency-key-in-use'],
  }) as const;

/**
 * Every operation of the HTTP API. The router, the OpenAPI document, the authorization tests and the fuzzer read
 * this table; the handlers are bound to it by name.
 */
export const operations = {
  placeOrder: {
    fn: 'orders-api',
    method: 'POST',
    path: '/v1/orders',
    access: 'customer',
    limit: 'order',
    tag: 'Orders',
    summary: 'Place an order',
    description:
      'Prices come from the catalog, never from the client. The order is stored with its `order.placed` event in one transaction and the answer is 202: the saga (authorize, reserve, capture, confirm) runs on. Poll `Location` until the status is CONFIRMED or CANCELLED.',
    body: json(PlaceOrderRequest),
    headers: [idempotencyHeader],
    idempotent: true,
    responses: { 202: { description: 'Accepted; the saga runs on.', schema: OrderAccepted, headers: ['Location', 'Idempotent-Replayed'] } },
    problems: ['unknown-product', 'mixed-currencies', 'too-many-open-orders', 'idempotency-key-reused', 'idempotency-key-in-use'],
  },
  listOrders: {
    fn: 'orders-api',
    method: 'GET',
    path: '/v1/orders',
    access: 'customer',
    limit: 'read',
    tag: 'Orders',
    summary: 'List your orders',
    query: ListOrdersQuery,
    responses: { 200: { description: 'A page of your orders, newest first.', schema: OrderPage } },
    problems: [],
  },
  getOrder: {
    fn: 'orders-api',
    method: 'GET',
    path: '/v1/orders/{orderId}',
    access: 'customer',
    limit: 'read',
    tag: 'Orders',
    summary: 'Read one of your orders',
    description:
      'Status (NEEDS_ATTENTION while an operator must act, with `attention.sagaStatus`), `cancellationReason`, `deadlineAt`, lines and totals, the payment with any refund, and the status history. Another customer’s order answers 404, as one that does not exist; an admin may read any order.',
    params: z.object({ orderId: OrderId }),
    responses: { 200: { description: 'The order with its lines, payment and history.', schema: OrderView } },
    problems: [],
  },
  getOrderTimeline: {
    fn: 'orders-api',
    method: 'GET',
    path: '/v1/orders/{orderId}/timeline',
    access: 'customer',
    limit: 'read',
    tag: 'Orders',
    summary: 'Read an order’s saga step by step',
    description:
      'Every status change, every event of the saga (with the time since the event it followed from) and every message sent, in time order. An admin gets the full view: each delivery to a step with its attempt, outcome and error, compensations, dead letters, operator actions and the trace id. Another customer’s order answers 404.',
    params: z.object({ orderId: OrderId }),
    responses: { 200: { description: 'The order’s timeline.', schema: OrderTimeline, headers: ['Cache-Control'] } },
    problems: [],
  },
  listProducts: {
    fn: 'catalog-api',
    method: 'GET',
    path: '/v1/products',
    access: 'public',
    limit: 'read',
    tag: 'Catalog',
    summary: 'Search and browse products',
    description:
      '`q`: every word must match a word or word prefix of the name, brand, attributes or description (case- and accent-insensitive). `category` includes its sub-categories; `brand`, `colour` and `size` take comma-separated values; `minPrice`/`maxPrice` are minor units; `inStock=true`. `sort`: relevance (without words: name), price_asc, price_desc, newest, name. Answers the page with the stock available now, the facets of the whole result (category, brand, price bands), the total and `nextCursor`. Weak ETag, 304 on If-None-Match, cacheable for 5 s.',
    query: ListProductsQuery,
    headers: [ifNoneMatch],
    responses: {
      200: { description: 'A page of products with facets.', schema: ProductPage, headers: ['ETag', 'Cache-Control'] },
      304: { description: 'Unchanged since the ETag sent in If-None-Match.', headers: ['ETag'] },
    },
    problems: [],
  },
  getProduct: {
    fn: 'catalog-api',
    method: 'GET',
    path: '/v1/products/{productId}',
    access: 'public',
    limit: 'read',
    tag: 'Catalog',
    summary: 'Read a product with its stock',
    description: 'An archived product answers 404 except to an admin, who also sees its status.',
    params: z.object({ productId: ProductIdParam }),
    headers: [ifNoneMatch],
    responses: {
      200: { description: 'The product.', schema: ProductView, headers: ['ETag', 'Cache-Control'] },
      304: { description: 'Unchanged since the ETag sent in If-None-Match.', headers: ['ETag'] },
    },
    problems: [],
  },
  createProduct: {
    fn: 'catalog-api',
    method: 'POST',
    path: '/v1/products',
    access: 'admin',
    limit: 'admin-write',
    tag: 'Catalog administration',
    summary: 'Create a product',
    body: json(CreateProductRequest, MAX_PRODUCT_BODY_BYTES),
    headers: [idempotencyHeader],
    idempotent: true,
    responses: { 201: { description: 'Created.', schema: AdminProductView, headers: ['Location', 'ETag', 'Idempotent-Replayed'] } },
    problems: ['conflict', 'idempotency-key-reused', 'idempotency-key-in-use'],
  },
  updateProduct: {
    fn: 'catalog-api',
    method: 'PATCH',
    path: '/v1/products/{productId}',
    access: 'admin',
    limit: 'admin-write',
    tag: 'Catalog administration',
    summary: 'Change a product (JSON merge patch)',
    params: z.object({ productId: ProductIdParam }),
    body: json(UpdateProductRequest, MAX_PRODUCT_BODY_BYTES, 'application/merge-patch+json'),
    headers: [ifMatch(true)],
    responses: { 200: { description: 'The product as it is now.', schema: AdminProductView, headers: ['ETag'] } },
    problems: ['precondition-required', 'precondition-failed'],
  },
  archiveProduct: productAction('archive', 'Archive a product (hidden from shoppers, cannot be ordered)'),
  restoreProduct: productAction('restore', 'Restore an archived product'),
  adjustStock: {
    fn: 'catalog-api',
    method: 'POST',
    path: '/v1/products/{productId}/stock-adjustments',
    access: 'admin',
    limit: 'admin-write',
    tag: 'Catalog administration',
    summary: 'Add or remove stock',
    description: 'Adjustments made at the same time all count; stock never goes below zero.',
    params: z.object({ productId: ProductIdParam }),
    body: json(StockAdjustmentRequest),
    headers: [idempotencyHeader],
    idempotent: true,
    responses: { 200: { description: 'Stock after the adjustment.', schema: StockLevel, headers: ['ETag', 'Idempotent-Replayed'] } },
    problems: ['insufficient-stock', 'idempotency-key-reused', 'idempotency-key-in-use'],
  },
  uploadProductImage: {
    fn: 'catalog-api',
    method: 'POST',
    path: '/v1/products/{productId}/images',
    access: 'admin',
    limit: 'admin-write',
    tag: 'Catalog administration',
    summary: 'Upload an image (JPEG, PNG or WebP, judged by its bytes)',
    description: 'The raw image bytes as the body, at most 5 MB; stored in the images bucket and listed last in `imageUrls`. Anything that is not a JPEG, PNG or WebP by its content is 415.',
    params: z.object({ productId: ProductIdParam }),
    body: { kind: 'image', maxBytes: MAX_IMAGE_BYTES },
    headers: [idempotencyHeader],
    idempotent: true,
    responses: { 201: { description: 'Stored and listed last among the product’s images.', schema: ProductImageView, headers: ['Location', 'Idempotent-Replayed'] } },
    problems: ['conflict', 'idempotency-key-reused', 'idempotency-key-in-use'],
  },
  reorderProductImages: {
    fn: 'catalog-api',
    method: 'PUT',
    path: '/v1/products/{productId}/images/order',
    access: 'admin',
    limit: 'admin-write',
    tag: 'Catalog administration',
    summary: 'Put a product’s images in a new order',
    params: z.object({ productId: ProductIdParam }),
    body: json(ImageOrderRequest),
    responses: { 200: { description: 'The images in their new order.', schema: ImageOrderView } },
    problems: [],
  },
  deleteProductImage: {
    fn: 'catalog-api',
    method: 'DELETE',
    path: '/v1/products/{productId}/images/{imageId}',
    access: 'admin',
    limit: 'admin-write',
    tag: 'Catalog administration',
    summary: 'Remove an image',
    params: z.object({ productId: ProductIdParam, imageId: ImageId }),
    responses: { 204: { description: 'Removed from the product and from storage.' } },
    problems: [],
  },
  listDeadLetters: {
    fn: 'admin-api',
    method: 'GET',
    path: '/v1/admin/dead-letters',
    access: 'admin',
    limit: 'read',
    tag: 'Saga operations',
    summary: 'List dead letters',
    query: ListDeadLettersQuery,
    responses: { 200: { description: 'A page of dead letters.', schema: DeadLetterPage, headers: ['Cache-Control'] } },
    problems: [],
  },
  getDeadLetter: {
    fn: 'admin-api',
    method: 'GET',
    path: '/v1/admin/dead-letters/{deadLetterId}',
    access: 'admin',
    limit: 'read',
    tag: 'Saga operations',
    summary: 'Read a dead letter with its message',
    params: z.object({ deadLetterId: DeadLetterId }),
    responses: { 200: { description: 'The dead letter.', schema: DeadLetterView, headers: ['Cache-Control'] } },
    problems: [],
  },
  replayDeadLetter: {
    fn: 'admin-api',
    method: 'POST',
    path: '/v1/admin/dead-letters/{deadLetterId}/replay',
    access: 'admin',
    limit: 'admin-write',
    tag: 'Saga operations',
    summary: 'Publish a dead letter’s event again',
    description: 'Publishes the original event again, with its event id, to its topic: every consumer recognises what it already did. A poison message cannot be replayed (409); discard it.',
    params: z.object({ deadLetterId: DeadLetterId }),
    headers: [idempotencyHeader],
    idempotent: true,
    responses: { 202: { description: 'Published again (or queued in the outbox).', schema: DeadLetterView, headers: ['Idempotent-Replayed'] } },
    problems: ['conflict', 'idempotency-key-reused', 'idempotency-key-in-use'],
  },
  discardDeadLetter: {
    fn: 'admin-api',
    method: 'POST',
    path: '/v1/admin/dead-letters/{deadLetterId}/discard',
    access: 'admin',
    limit: 'admin-write',
    tag: 'Saga operations',
    summary: 'Put a dead letter aside with a reason',
    params: z.object({ deadLetterId: DeadLetterId }),
    body: json(DiscardDeadLetterRequest),
    headers: [idempotencyHeader],
    idempotent: true,
    responses: { 200: { description: 'Discarded.', schema: DeadLetterView, headers: ['Idempotent-Replayed'] } },
    problems: ['conflict', 'idempotency-key-reused', 'idempotency-key-in-use'],
  },
  retryOrder: {
    fn: 'admin-api',
    method: 'POST',
    path: '/v1/admin/orders/{orderId}/retry',
    access: 'admin',
    limit: 'admin-write',
    tag: 'Saga operations',
    summary: 'Drive an order’s saga on from where it stands',
    description:
      'Republishes the event that drives the order from where it stands: `order.placed` for a pending one, `order.confirmed` for a confirmed one not told, `order.cancelled` for a cancelled one whose money or stock is not back. Every step recognises what it already did.',
    params: z.object({ orderId: OrderId }),
    headers: [idempotencyHeader],
    idempotent: true,
    responses: { 202: { description: 'The event that drives the order on was published again.', schema: OrderRetried, headers: ['Idempotent-Replayed'] } },
    problems: ['idempotency-key-reused', 'idempotency-key-in-use'],
  },
  listAllOrders: {
    fn: 'admin-api',
    method: 'GET',
    path: '/v1/admin/orders',
    access: 'admin',
    limit: 'read',
    tag: 'Saga operations',
    summary: 'List every customer’s orders',
    description: 'Newest first, by status (NEEDS_ATTENTION: orders waiting for an operator) and reason (a cancellation or attention reason). The console polls it.',
    query: ListAdminOrdersQuery,
    responses: { 200: { description: 'A page of orders.', schema: AdminOrderPage, headers: ['Cache-Control'] } },
    problems: [],
  },
  cancelOrder: {
    fn: 'admin-api',
    method: 'POST',
    path: '/v1/admin/orders/{orderId}/cancel',
    access: 'admin',
    limit: 'admin-write',
    tag: 'Saga operations',
    summary: 'Cancel an order still in flight',
    description:
      'Cancels a PENDING order (reason `cancelled_by_shop`) under its lock and publishes `order.cancelled`: its compensations run as for any cancellation (void or refund, stock back) and the customer is told. The operator’s reason is kept with who and when, in the order’s timeline. An order already CONFIRMED or CANCELLED answers 409.',
    params: z.object({ orderId: OrderId }),
    body: json(CancelOrderRequest),
    headers: [idempotencyHeader],
    idempotent: true,
    responses: { 202: { description: 'Cancelled; the compensations run on.', schema: OrderCancelledByShop, headers: ['Idempotent-Replayed'] } },
    problems: ['conflict', 'idempotency-key-reused', 'idempotency-key-in-use'],
  },
  bulkDeadLetters: {
    fn: 'admin-api',
    method: 'POST',
    path: '/v1/admin/dead-letters/bulk',
    access: 'admin',
    limit: 'admin-write',
    tag: 'Saga operations',
    summary: 'Replay or discard the open dead letters that match a query',
    description:
      'Takes the open dead letters matching every field of `select` (function, event type, product, time window), oldest first, at most `limit`. With `dryRun: true` nothing changes: the answer lists each letter with what a replay would do again given its order as it stands (authorizations, captures, voids, refunds, stock, emails and text messages) and their totals. Without it, each is replayed or discarded (with the reason) as one by one would, and recorded with who and when. Poison messages are never replayed.',
    body: json(BulkDeadLettersRequest),
    headers: [idempotencyHeader],
    idempotent: true,
    responses: { 200: { description: 'What was done, or in a dry run what would be.', schema: BulkDeadLettersResult, headers: ['Idempotent-Replayed'] } },
    problems: ['idempotency-key-reused', 'idempotency-key-in-use'],
  },
  getOrderTrace: {
    fn: 'admin-api',
    method: 'GET',
    path: '/v1/admin/orders/{orderId}/trace',
    access: 'admin',
    limit: 'read',
    tag: 'Saga operations',
    summary: 'Read the spans of an order’s trace',
    description:
      'Every span of the order’s one trace (the request that placed it, each publish and delivery, PostgreSQL and Firestore calls, provider calls, compensations and redeliveries), oldest first, from the trace store: the local collector, or Cloud Trace in production (spans arrive there within seconds).',
    params: z.object({ orderId: OrderId }),
    responses: { 200: { description: 'The order’s spans.', schema: OrderTrace, headers: ['Cache-Control'] } },
    problems: [],
  },
} as const satisfies Record<string, Operation>;

export type OperationId = keyof typeof operations;
export const operationIds = Object.keys(operations) as OperationId[];

/** The problems an operation may answer: its own, and the ones its access, inputs and limits imply. */
export function problemsOf(op: Operation): ProblemSlug[] {
  const implied: ProblemSlug[] = [
    ...(op.access !== 'public' ? (['unauthenticated'] as const) : []),
    ...(op.access === 'admin' ? (['forbidden'] as const) : []),
    ...(op.params || op.access === 'customer' ? (['not-found'] as const) : []),
    ...(op.query || op.body || op.headers?.some((h) => h.name === 'Idempotency-Key') ? (['validation-error'] as const) : []),
    ...(op.body ? (['malformed-request', 'payload-too-large', 'unsupported-media-type'] as const) : []),
    'rate-limited',
    'service-unavailable',
  ];
  return [...new Set([...op.problems, ...implied])];
}

/** The regular expression a request path matches an operation's template with; `{name}` captures one segment. */
export const pathPattern = (template: string) =>
  new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '([^/]+)')}/?$`);

/** Names of an operation's path parameters, in order. */
export const pathParamNames = (template: string) => [...template.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);

/** The operations one function serves. */
export const operationsOf = (fn: FunctionName) => operationIds.filter((id) => operations[id].fn === fn);
