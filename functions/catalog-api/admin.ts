import { randomUUID } from 'node:crypto';
import { Timestamp, type DocumentSnapshot, type Firestore } from '@google-cloud/firestore';
import type { Storage } from '@google-cloud/storage';
import {
  categoryPath,
  CreateProductRequest,
  ProductId,
  StockAdjustmentRequest,
  UpdateProductRequest,
  type EventData,
} from '../../schemas/index.ts';
import { ProductDoc, productEtag, StockDoc, versionOf, type Product } from '../lib/catalog.ts';
import { createEvent } from '../lib/events.ts';
import { collections } from '../lib/firestore.ts';
import type { Route } from '../lib/http/api.ts';
import { HttpProblem, validationProblem } from '../lib/http/problem.ts';
import { stableId } from '../lib/ids.ts';
import type { Logger } from '../lib/logger.ts';
import type { Publish } from '../lib/pubsub.ts';
import { createImageRoutes } from './images.ts';
import { view } from './view.ts';

const ALREADY_EXISTS = 6;
const FAILED_PRECONDITION = 9;
const STOCK_ATTEMPTS = 8;

const codeOf = (err: unknown) => (err as { code?: number }).code;

/** Admin writes: create and change products with optimistic concurrency (ETag / If-Match), archive, restore, stock. */
export function createAdminRoutes(deps: {
  firestore: Firestore;
  publish: Publish;
  storage: Storage;
  bucket: string;
  publicUrl: string;
  /** Drops cached reads of a product this instance just changed. */
  invalidate: (productId: string) => Promise<void>;
}): Route[] {
  const fs = deps.firestore;
  const productRef = (id: string) => fs.collection(collections.products).doc(id);
  const stockRef = (id: string) => fs.collection(collections.stock).doc(id);

  async function current(id: string) {
    const parsedId = ProductId.safeParse(id);
    if (!parsedId.success) throw HttpProblem.of('not-found', `no product ${id}`);
    const [product, stock] = await fs.getAll(productRef(id), stockRef(id));
    if (!product!.exists) throw HttpProblem.of('not-found', `no product ${id}`);
    const doc: Product = { id, ...ProductDoc.parse(product!.data()) };
    const available = stock!.exists ? StockDoc.parse(stock!.data()).available : 0;
    return { snap: product as DocumentSnapshot, doc, available, etag: productEtag(versionOf(product!.updateTime!), available) };
  }

  async function announce(change: EventData<'catalog.product.changed'>['change'], productId: string, version: string, now: Date, log: Logger) {
    await deps.invalidate(productId);
    const event = createEvent('catalog.product.changed', { productId, change, version }, { correlationId: stableId(productId), cause: null, now, key: version });
    // Search follows Firestore itself; this event is for caches and projections elsewhere. Until the outbox lands,
    // a failed publish is logged and the write stands.
    await deps.publish(event).catch((err: unknown) => log.error({ err, productId, change }, 'catalog.product.changed not published'));
  }

  /** Writes `fields` if the product is still as the caller last read it; answers the product as it is now. */
  async function write(id: string, ifMatch: string | undefined, fields: (doc: Product) => Record<string, unknown>, change: 'updated' | 'archived' | 'restored', now: Date, log: Logger) {
    const before = await current(id);
    if (ifMatch !== undefined && ifMatch !== before.etag) {
      throw HttpProblem.of('precondition-failed', 'the product changed since you read it; GET it again and reapply your change', {}, { ETag: before.etag });
    }
    try {
      await productRef(id).update({ ...fields(before.doc), updatedAt: Timestamp.fromDate(now) }, { lastUpdateTime: before.snap.updateTime! });
    } catch (err) {
      if (codeOf(err) === FAILED_PRECONDITION) throw HttpProblem.of('precondition-failed', 'the product changed while you wrote; GET it again');
      throw err;
    }
    const after = await current(id);
    await announce(change, id, after.etag.slice(1, -1), now, log);
    return { status: 200, headers: { ETag: after.etag, 'Cache-Control': 'no-store' }, body: { ...view(after.doc, after.available), status: after.doc.status } };
  }

  const imageRoutes = createImageRoutes({
    firestore: fs,
    storage: deps.storage,
    bucket: deps.bucket,
    publicUrl: deps.publicUrl,
    changed: async (id, now, log) => announce('updated', id, (await current(id)).etag.slice(1, -1), now, log),
  });

  return [
    ...imageRoutes,
    {
      method: 'POST',
      path: /^\/v1\/products\/?$/,
      auth: 'admin',
      async handle({ req, now, log }) {
        const body = CreateProductRequest.safeParse(req.body);
        if (!body.success) throw validationProblem(body.error, 'body');
        const { stock, ...fields } = body.data;
        const id = `p-${randomUUID()}`;
        const doc: ProductDoc = {
          ...fields,
          attributes: fields.attributes as Record<string, string[]>,
          categories: categoryPath(fields.category),
          images: [],
          createdAt: now.toISOString(),
          status: 'active',
        };
        const batch = fs.batch();
        batch.create(productRef(id), doc);
        batch.create(stockRef(id), { available: stock, updatedAt: Timestamp.fromDate(now) });
        try {
          await batch.commit();
        } catch (err) {
          if (codeOf(err) === ALREADY_EXISTS) throw HttpProblem.of('conflict', `product ${id} exists`);
          throw err;
        }
        const created = await current(id);
        await announce('created', id, created.etag.slice(1, -1), now, log);
        log.info({ productId: id }, 'product created');
        return {
          status: 201,
          headers: { Location: `/v1/products/${id}`, ETag: created.etag, 'Cache-Control': 'no-store' },
          body: { ...view(created.doc, created.available), status: created.doc.status },
        };
      },
    },
    {
      method: 'PATCH',
      path: /^\/v1\/products\/([^/]+)$/,
      auth: 'admin',
      async handle({ req, params, now, log }) {
        const ifMatch = req.get('if-match');
        if (!ifMatch) throw HttpProblem.of('precondition-required', 'send If-Match with the ETag of the product you read');
        const patch = UpdateProductRequest.safeParse(req.body);
        if (!patch.success) throw validationProblem(patch.error, 'body');
        const { category, ...rest } = patch.data;
        return write(params[0]!, ifMatch, () => ({ ...rest, ...(category ? { category, categories: categoryPath(category) } : {}) }), 'updated', now, log);
      },
    },
    ...(['archive', 'restore'] as const).map(
      (action): Route => ({
        method: 'POST',
        path: new RegExp(`^/v1/products/([^/]+)/${action}$`),
        auth: 'admin',
        async handle({ req, params, now, log }) {
          const status = action === 'archive' ? 'archived' : 'active';
          const { doc } = await current(params[0]!);
          if (doc.status === status) throw HttpProblem.of('conflict', `product ${doc.id} is already ${status}`);
          return write(params[0]!, req.get('if-match'), () => ({ status }), action === 'archive' ? 'archived' : 'restored', now, log);
        },
      }),
    ),
    {
      method: 'POST',
      path: /^\/v1\/products\/([^/]+)\/stock-adjustments$/,
      auth: 'admin',
      async handle({ req, params, now, log }) {
        const body = StockAdjustmentRequest.safeParse(req.body);
        if (!body.success) throw validationProblem(body.error, 'body');
        const id = params[0]!;
        await current(id);
        // The same optimistic rule as a reservation: read, decide, write only if nobody wrote in between.
        for (let attempt = 1; attempt <= STOCK_ATTEMPTS; attempt++) {
          const snap = await stockRef(id).get();
          const available = snap.exists ? StockDoc.parse(snap.data()).available : 0;
          const next = available + body.data.delta;
          if (next < 0) throw HttpProblem.of('insufficient-stock', `only ${available} in stock; cannot remove ${-body.data.delta}`);
          try {
            await (snap.exists
              ? stockRef(id).update({ available: next, updatedAt: Timestamp.fromDate(now) }, { lastUpdateTime: snap.updateTime! })
              : stockRef(id).create({ available: next, updatedAt: Timestamp.fromDate(now) }));
          } catch (err) {
            if (codeOf(err) === FAILED_PRECONDITION || codeOf(err) === ALREADY_EXISTS) continue;
            throw err;
          }
          const after = await current(id);
          await announce('stock_adjusted', id, after.etag.slice(1, -1), now, log);
          log.info({ productId: id, delta: body.data.delta, reason: body.data.reason, available: next }, 'stock adjusted');
          return { status: 200, headers: { ETag: after.etag, 'Cache-Control': 'no-store' }, body: { productId: id, available: next } };
        }
        throw HttpProblem.of('service-unavailable', 'stock kept changing; retry the adjustment');
      },
    },
  ];
}
