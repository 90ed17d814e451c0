import { Timestamp, type DocumentSnapshot, type Firestore } from '@google-cloud/firestore';
import type { Storage } from '@google-cloud/storage';
import { categoryPath, ProductId } from '../../schemas/index.ts';
import { ProductDoc, productEtag, StockDoc, updatedAtCommit, versionOf, type Product } from '../lib/catalog.ts';
import { collections } from '../lib/firestore.ts';
import { route, type Route } from '../lib/http/api.ts';
import { HttpProblem } from '../lib/http/problem.ts';
import { newId, stableId } from '../lib/ids.ts';
import type { Logger } from '../lib/logger.ts';
import { COMMIT_TIME } from '../lib/outbox-firestore.ts';
import type { CommitChange } from './changes.ts';
import { createImageRoutes } from './images.ts';
import { view } from './view.ts';

const ALREADY_EXISTS = 6;
const FAILED_PRECONDITION = 9;
const STOCK_ATTEMPTS = 8;

const codeOf = (err: unknown) => (err as { code?: number }).code;

/** Admin writes: create and change products with optimistic concurrency (ETag / If-Match), archive, restore, stock. */
export function createAdminRoutes(deps: {
  firestore: Firestore;
  storage: Storage;
  bucket: string;
  publicUrl: string;
  /** Commits a write with the catalog.product.changed it causes (the outbox). */
  commitChange: CommitChange;
  /** Bounds a Firestore call by the dependency timeout. */
  bounded: <T>(work: Promise<T>) => Promise<T>;
}): Route[] {
  const fs = deps.firestore;
  const productRef = (id: string) => fs.collection(collections.products).doc(id);
  const stockRef = (id: string) => fs.collection(collections.stock).doc(id);
  const adjustmentRef = (id: string) => fs.collection(collections.stockAdjustments).doc(id);

  async function current(id: string) {
    const parsedId = ProductId.safeParse(id);
    if (!parsedId.success) throw HttpProblem.of('not-found', `no product ${id}`);
    const [product, stock] = await deps.bounded(fs.getAll(productRef(id), stockRef(id)));
    if (!product!.exists) throw HttpProblem.of('not-found', `no product ${id}`);
    const doc: Product = { id, ...ProductDoc.parse(product!.data()) };
    const available = stock!.exists ? StockDoc.parse(stock!.data()).available : 0;
    return { snap: product as DocumentSnapshot, doc, available, etag: productEtag(versionOf(product!.updateTime!), available) };
  }

  /** Writes `fields` if the product is still as the caller last read it; answers the product as it is now. */
  async function write(id: string, ifMatch: string | undefined, fields: (doc: Product) => Record<string, unknown>, change: 'updated' | 'archived' | 'restored', now: Date, log: Logger) {
    const before = await current(id);
    if (ifMatch !== undefined && ifMatch !== before.etag) {
      throw HttpProblem.of('precondition-failed', 'the product changed since you read it; GET it again and reapply your change', {}, { ETag: before.etag });
    }
    const batch = fs.batch();
    batch.update(productRef(id), { ...fields(before.doc), updatedAt: updatedAtCommit() }, { lastUpdateTime: before.snap.updateTime! });
    try {
      await deps.commitChange(batch, { productId: id, change, version: `${COMMIT_TIME}-${before.available}`, now, log });
    } catch (err) {
      if (codeOf(err) === FAILED_PRECONDITION) throw HttpProblem.of('precondition-failed', 'the product changed while you wrote; GET it again');
      throw err;
    }
    const after = await current(id);
    return { status: 200, headers: { ETag: after.etag, 'Cache-Control': 'no-store' }, body: { ...view(after.doc, after.available), status: after.doc.status } };
  }

  const imageRoutes = createImageRoutes({
    firestore: fs,
    storage: deps.storage,
    bucket: deps.bucket,
    publicUrl: deps.publicUrl,
    commitChange: deps.commitChange,
    availableOf: async (id) => (await current(id)).available,
  });

  return [
    ...imageRoutes,
    route('createProduct', async ({ body, caller, now, log, idempotencyKey }) => {
      const { stock, ...fields } = body;
      // With a key, the id follows from it: a retry after a crash that lost the key's record finds the product.
      const id = `p-${idempotencyKey ? stableId('product', caller.sub, idempotencyKey) : newId()}`;
      const doc: ProductDoc = {
        ...fields,
        attributes: fields.attributes as Record<string, string[]>,
        categories: categoryPath(fields.category),
        images: [],
        createdAt: now.toISOString(),
        status: 'active',
      };
      const batch = fs.batch();
      batch.create(productRef(id), { ...doc, updatedAt: updatedAtCommit() });
      batch.create(stockRef(id), { available: stock, updatedAt: updatedAtCommit() });
      try {
        await deps.commitChange(batch, { productId: id, change: 'created', version: `${COMMIT_TIME}-${stock}`, now, log });
      } catch (err) {
        if (codeOf(err) !== ALREADY_EXISTS) throw err;
        if (!idempotencyKey) throw HttpProblem.of('conflict', `product ${id} exists`);
        log.info({ productId: id }, 'product already created with this Idempotency-Key; answering as the first time');
      }
      const created = await current(id);
      log.info({ productId: id }, 'product created');
      return {
        status: 201,
        headers: { Location: `/v1/products/${id}`, ETag: created.etag, 'Cache-Control': 'no-store' },
        body: { ...view(created.doc, created.available), status: created.doc.status },
      };
    }),
    route('updateProduct', async ({ req, params, body, now, log }) => {
      const ifMatch = req.get('if-match');
      if (!ifMatch) throw HttpProblem.of('precondition-required', 'send If-Match with the ETag of the product you read');
      const { category, ...rest } = body;
      return write(params.productId, ifMatch, () => ({ ...rest, ...(category ? { category, categories: categoryPath(category) } : {}) }), 'updated', now, log);
    }),
    ...(['archive', 'restore'] as const).map((action) =>
      route(action === 'archive' ? 'archiveProduct' : 'restoreProduct', async ({ req, params, now, log }) => {
        const status = action === 'archive' ? 'archived' : 'active';
        const { doc } = await current(params.productId);
        if (doc.status === status) throw HttpProblem.of('conflict', `product ${doc.id} is already ${status}`);
        return write(params.productId, req.get('if-match'), () => ({ status }), action === 'archive' ? 'archived' : 'restored', now, log);
      }),
    ),
    route('adjustStock', async ({ body, params, caller, now, log, idempotencyKey }) => {
      const id = params.productId;
      const { snap: product } = await current(id);
      // Each adjustment is a ledger entry created in the same batch; with a key its id follows from the key, so a
      // retry after a crash that lost the key's record finds it instead of adjusting twice.
      const entry = adjustmentRef(idempotencyKey ? stableId('stock-adjustment', caller.sub, idempotencyKey) : newId());
      // The same optimistic rule as a reservation: read, decide, write only if nobody wrote in between.
      for (let attempt = 1; attempt <= STOCK_ATTEMPTS; attempt++) {
        const [snap, done] = await deps.bounded(fs.getAll(stockRef(id), entry));
        if (done!.exists) {
          const available = done!.get('availableAfter') as number;
          return { status: 200, headers: { ETag: productEtag(versionOf(product.updateTime!), available), 'Cache-Control': 'no-store' }, body: { productId: id, available } };
        }
        const available = snap!.exists ? StockDoc.parse(snap!.data()).available : 0;
        const next = available + body.delta;
        if (next < 0) throw HttpProblem.of('insufficient-stock', `only ${available} in stock; cannot remove ${-body.delta}`);
        const batch = fs.batch();
        if (snap!.exists) batch.update(stockRef(id), { available: next, updatedAt: updatedAtCommit() }, { lastUpdateTime: snap!.updateTime! });
        else batch.create(stockRef(id), { available: next, updatedAt: updatedAtCommit() });
        batch.create(entry, { productId: id, delta: body.delta, reason: body.reason, by: caller.sub, at: Timestamp.fromDate(now), availableAfter: next });
        try {
          await deps.commitChange(batch, { productId: id, change: 'stock_adjusted', version: `${versionOf(product.updateTime!)}-${next}`, now, log });
        } catch (err) {
          if (codeOf(err) === FAILED_PRECONDITION || codeOf(err) === ALREADY_EXISTS) continue;
          throw err;
        }
        log.info({ productId: id, delta: body.delta, reason: body.reason, available: next }, 'stock adjusted');
        return { status: 200, headers: { ETag: productEtag(versionOf(product.updateTime!), next), 'Cache-Control': 'no-store' }, body: { productId: id, available: next } };
      }
      throw HttpProblem.of('service-unavailable', 'stock kept changing; retry the adjustment');
    }),
  ];
}
