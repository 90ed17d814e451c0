import { FieldValue, type Firestore, type Timestamp } from '@google-cloud/firestore';
import { z } from 'zod';
import { Money } from '../../schemas/index.ts';
import { collections } from './firestore.ts';

/** One product image: its id, Cloud Storage object, public URL and what it is. */
export const ProductImage = z.object({ id: z.string(), object: z.string(), url: z.string(), contentType: z.string(), bytes: z.number().int() });
export type ProductImage = z.infer<typeof ProductImage>;

/** A product document as stored in Firestore (`products/{id}`). */
export const ProductDoc = z.object({
  name: z.string(),
  description: z.string(),
  /** The leaf category the product is filed in. */
  category: z.string(),
  /** That category and its ancestors, so a filter on a parent finds it (`array-contains`). */
  categories: z.array(z.string()),
  brand: z.string(),
  price: Money,
  /** Filterable attributes such as colour and size, each with its values. */
  attributes: z.record(z.string(), z.array(z.string())).default({}),
  /** Images in display order, stored in Cloud Storage. */
  images: z.array(ProductImage).default([]),
  createdAt: z.string(),
  /** Archived products are hidden from shoppers and cannot be ordered. */
  status: z.enum(['active', 'archived']).default('active'),
});
export type ProductDoc = z.infer<typeof ProductDoc>;

/** Stock of one product (`stock/{productId}`): units that can still be reserved. */
export const StockDoc = z.object({ available: z.number().int().nonnegative() });
export type StockDoc = z.infer<typeof StockDoc>;

export type Product = ProductDoc & { id: string };

/**
 * The `updatedAt` every write of a product or stock document sets: the commit time, which only grows, so a reader
 * that follows `updatedAt >= t` from a snapshot read at t misses nothing (a client clock could stamp a later commit
 * with an earlier time).
 */
export const updatedAtCommit = () => FieldValue.serverTimestamp();

/** Reads products by id in one round trip; missing ids are absent from the map. */
export async function getProducts(fs: Firestore, ids: readonly string[]): Promise<Map<string, Product>> {
  if (ids.length === 0) return new Map();
  const snaps = await fs.getAll(...ids.map((id) => fs.collection(collections.products).doc(id)));
  const found = new Map<string, Product>();
  for (const snap of snaps) {
    if (snap.exists) found.set(snap.id, { id: snap.id, ...ProductDoc.parse(snap.data()) });
  }
  return found;
}

/** Reads the available units of products in one round trip; a product without a stock document has none. */
export async function getAvailable(fs: Firestore, ids: readonly string[]): Promise<Map<string, number>> {
  if (ids.length === 0) return new Map();
  const snaps = await fs.getAll(...ids.map((id) => fs.collection(collections.stock).doc(id)));
  return new Map(snaps.map((s) => [s.id, s.exists ? StockDoc.parse(s.data()).available : 0]));
}

/** A document version as text, from its update time. */
export const versionOf = (updateTime: Timestamp) => `${updateTime.seconds}.${String(updateTime.nanoseconds).padStart(9, '0')}`;

/** The ETag of a product's representation: its document version and the stock it shows. */
export const productEtag = (version: string, available: number) => `"${version}-${available}"`;
