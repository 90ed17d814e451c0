import { createHash } from 'node:crypto';
import type { Firestore } from '@google-cloud/firestore';
import type { Request } from '@google-cloud/functions-framework';
import type { Storage } from '@google-cloud/storage';
import { z } from 'zod';
import { attributeNames, ProductId, ProductSort } from '../../schemas/index.ts';
import { getAvailable, ProductDoc, productEtag, StockDoc, versionOf } from '../lib/catalog.ts';
import { collections } from '../lib/firestore.ts';
import { createAdminRoutes } from './admin.ts';
import type { CommitChange } from './changes.ts';
import { route, type Route } from '../lib/http/api.ts';
import { decodeCursor, encodeCursor } from '../lib/http/cursor.ts';
import { HttpProblem } from '../lib/http/problem.ts';
import type { CatalogProjection } from './projection.ts';
import { search } from './search.ts';
import type { ReadCache } from '../lib/cache.ts';
import { view } from './view.ts';
import { withDeadline } from '../lib/resilience.ts';

/** The read-cache key of a product. */
export const productCacheKey = (id: string) => `catalog:product:${id}`;
const PRODUCT_TTL_SECONDS = 60;

/** Shared caches may keep catalog reads briefly; prices for orders are always read from Firestore. */
const PUBLIC_CACHE = 'public, max-age=5';

/** True when the client's If-None-Match names this ETag (weak comparison, as RFC 9110 asks for GET). */
function notModified(req: Request, etag: string): boolean {
  const header = req.get('if-none-match');
  if (!header) return false;
  const bare = (tag: string) => tag.trim().replace(/^W\//, '');
  return header.trim() === '*' || header.split(',').some((tag) => bare(tag) === bare(etag));
}

const Position = z.object({
  s: ProductSort,
  k: z.union([z.string(), z.number()]),
  i: ProductId,
});


/**
 * Catalog API: search and browse over this instance's catalog projection, and product reads from Firestore. Reads are
 * public, as on any shop front; a token that is sent must still be valid.
 */
export function createCatalogRoutes(deps: {
  firestore: Firestore;
  projection: CatalogProjection;
  cache: ReadCache;
  commitChange: CommitChange;
  storage: Storage;
  images: { bucket: string; publicUrl: string };
  /** Longest wait on Firestore for one read; past it the request answers 503. */
  dependencyTimeoutMs: number;
}): Route[] {
  const { firestore, cache } = deps;
  const bounded = <T>(work: Promise<T>) => withDeadline(work, deps.dependencyTimeoutMs, 'Firestore');

  /**
   * A product with its stock and ETag, from the read cache when the listeners that invalidate it are live; the
   * projection's listeners drop a changed product's entry within a second, and the TTL bounds anything missed.
   */
  async function readProduct(id: string): Promise<{ doc: ProductDoc; available: number; etag: string; source: 'cache' | 'firestore' } | null> {
    const key = productCacheKey(id);
    const live = await deps.projection.ready().then(() => true, () => false);
    const hit = live ? await cache.get<{ doc: ProductDoc; available: number; etag: string }>(key) : undefined;
    if (hit) return { ...hit, source: 'cache' };
    const [snap, stock] = await bounded(firestore.getAll(firestore.collection(collections.products).doc(id), firestore.collection(collections.stock).doc(id)));
    if (!snap!.exists) return null;
    const doc = ProductDoc.parse(snap!.data());
    const available = stock!.exists ? StockDoc.parse(stock!.data()).available : 0;
    const entry = { doc, available, etag: productEtag(versionOf(snap!.updateTime!), available) };
    if (live) await cache.set(key, entry, PRODUCT_TTL_SECONDS);
    return { ...entry, source: 'firestore' };
  }

  return [
    route('listProducts', async ({ req, query }) => {
      const { q, category, brand, minPrice, maxPrice, inStock, sort, limit, cursor } = query;
      const attributes = Object.fromEntries(
        attributeNames.flatMap((name) => {
          const values = (query as Record<string, unknown>)[name] as string[] | undefined;
          return values ? [[name, values]] : [];
        }),
      );
      const position = cursor ? decodeCursor(cursor, Position) : undefined;
      // Waiting for the projection's first load is bounded (Firestore may be down); searching it is local work.
      const index = await bounded(deps.projection.index());
      const result = search(index, {
        q, category, brands: brand, minPrice, maxPrice, inStock, attributes, sort, limit,
        ...(position ? { after: { key: position.k, id: position.i } } : {}),
      });
      if (position && position.s !== result.sort) {
        throw HttpProblem.of('validation-error', 'query.cursor: belongs to another sort order', {
          errors: [{ path: 'query.cursor', message: 'belongs to another sort order; start again without a cursor' }],
        });
      }
      // Stock shown is read now from the source of truth; the projection's copy only filters.
      const available = await bounded(getAvailable(firestore, result.items.map((p) => p.id)));
      const body = {
        items: result.items.map((p) => view(p, available.get(p.id) ?? 0)),
        facets: result.facets,
        total: result.total,
        nextCursor: result.next ? encodeCursor({ s: result.sort, k: result.next.key, i: result.next.id }) : null,
      };
      const etag = `W/"${createHash('sha256').update(JSON.stringify(body)).digest('base64url').slice(0, 27)}"`;
      const headers = { ETag: etag, 'Cache-Control': PUBLIC_CACHE };
      return notModified(req, etag) ? { status: 304, headers } : { status: 200, headers, body };
    }),
    route('getProduct', async ({ req, params, caller }) => {
      const id = params.productId;
      const started = performance.now();
      const found = await readProduct(id);
      const readMs = performance.now() - started;
      const admin = caller?.admin === true;
      if (!found || (found.doc.status === 'archived' && !admin)) throw HttpProblem.of('not-found', `no product ${id}`);
      const { doc, available, etag } = found;
      const headers = {
        ETag: etag,
        'Cache-Control': admin ? 'private, no-store' : PUBLIC_CACHE,
        'Server-Timing': `read;desc="${found.source}";dur=${readMs.toFixed(2)}`,
      };
      if (notModified(req, etag)) return { status: 304, headers };
      const product = { id, ...doc };
      return { status: 200, headers, body: admin ? { ...view(product, available), status: doc.status } : view(product, available) };
    }),
    ...createAdminRoutes({ firestore, storage: deps.storage, ...deps.images, commitChange: deps.commitChange, bounded }),
  ];
}
