import { Timestamp, type Firestore } from '@google-cloud/firestore';
import type { Storage } from '@google-cloud/storage';
import { ProductDoc, StockDoc, type Product } from './catalog.ts';
import { collections } from './firestore.ts';

/** A searchable product: the active product document with its stock. */
export type CatalogItem = Omit<Product, 'status'> & { available: number };

/**
 * The active catalog as of one instant: every product change committed up to `asOf` is in it, none after. A reader
 * that follows changes from `asOf` (less an overlap) on is complete.
 */
export interface CatalogSnapshot {
  asOf: Timestamp;
  items: CatalogItem[];
  /** The search index's own structures for these items (opaque here; catalog-api's `restoreIndex` reads them). */
  index?: unknown;
}

/** The object a snapshot is stored as in its bucket. */
export const SNAPSHOT_OBJECT = 'catalog/snapshot.json';
const FORMAT = 2;

/** Items stored field by field (one array per field, repeated values as positions in a list): half the parse time of one object per item. */
interface ItemColumns {
  id: string[];
  name: string[];
  description: string[];
  category: string[];
  /** Position in `paths`. */
  categories: number[];
  paths: string[][];
  brand: string[];
  amount: number[];
  /** Position in `currencies`. */
  currency: number[];
  currencies: string[];
  attributes: Record<string, string[]>[];
  images: CatalogItem['images'][];
  createdAt: string[];
  available: number[];
}

function toColumns(items: CatalogItem[]): ItemColumns {
  const positions = <T>(values: T[], key: (v: T) => string) => {
    const at = new Map<string, number>();
    const list: T[] = [];
    const of = values.map((v) => {
      const k = key(v);
      let i = at.get(k);
      if (i === undefined) at.set(k, (i = list.push(v) - 1));
      return i;
    });
    return { of, list };
  };
  const paths = positions(items.map((i) => i.categories), (c) => c.join('\u0000'));
  const currencies = positions(items.map((i) => i.price.currency), (c) => c);
  return {
    id: items.map((i) => i.id),
    name: items.map((i) => i.name),
    description: items.map((i) => i.description),
    category: items.map((i) => i.category),
    categories: paths.of,
    paths: paths.list,
    brand: items.map((i) => i.brand),
    amount: items.map((i) => i.price.amount),
    currency: currencies.of,
    currencies: currencies.list,
    attributes: items.map((i) => i.attributes),
    images: items.map((i) => i.images),
    createdAt: items.map((i) => i.createdAt),
    available: items.map((i) => i.available),
  };
}

const fromColumns = (c: ItemColumns): CatalogItem[] =>
  c.id.map((id, i) => ({
    id,
    name: c.name[i]!,
    description: c.description[i]!,
    category: c.category[i]!,
    categories: c.paths[c.categories[i]!]!,
    brand: c.brand[i]!,
    price: { amount: c.amount[i]!, currency: c.currencies[c.currency[i]!]! },
    attributes: c.attributes[i]!,
    images: c.images[i]!,
    createdAt: c.createdAt[i]!,
    available: c.available[i]!,
  }));

/**
 * A snapshot as JSON, the format `decodeSnapshot` reads. Not compressed: gunzip cost more CPU at an instance's start
 * (0.6 s for 100,000 products on a busy 2-core machine) than reading the 4× larger object costs in time.
 */
export function encodeSnapshot(snapshot: CatalogSnapshot): Buffer {
  const body = { format: FORMAT, asOf: { seconds: snapshot.asOf.seconds, nanoseconds: snapshot.asOf.nanoseconds }, items: toColumns(snapshot.items), index: snapshot.index };
  return Buffer.from(JSON.stringify(body));
}

/** Reads what `encodeSnapshot` wrote; throws on another format. */
export function decodeSnapshot(data: Buffer): CatalogSnapshot {
  const body = JSON.parse(data.toString('utf8')) as { format: number; asOf: { seconds: number; nanoseconds: number }; items: ItemColumns; index?: unknown };
  if (body.format !== FORMAT) throw new Error(`catalog snapshot format ${body.format}; this code reads ${FORMAT}`);
  return { asOf: new Timestamp(body.asOf.seconds, body.asOf.nanoseconds), items: fromColumns(body.items), ...(body.index ? { index: body.index } : {}) };
}

/** The stored snapshot, or null when there is none yet. */
export async function readSnapshot(storage: Storage, bucket: string): Promise<CatalogSnapshot | null> {
  try {
    const [data] = await storage.bucket(bucket).file(SNAPSHOT_OBJECT).download();
    return decodeSnapshot(data);
  } catch (err) {
    if ((err as { code?: number }).code === 404) return null;
    throw err;
  }
}

/** The `asOf` of the stored snapshot without downloading it, or null when there is none. */
export async function storedSnapshotAsOf(storage: Storage, bucket: string): Promise<Timestamp | null> {
  try {
    const [metadata] = await storage.bucket(bucket).file(SNAPSHOT_OBJECT).getMetadata();
    const asOf = (metadata.metadata as Record<string, string> | undefined)?.asOf;
    return asOf ? timestampOf(asOf) : null;
  } catch (err) {
    if ((err as { code?: number }).code === 404) return null;
    throw err;
  }
}

const asText = (t: Timestamp) => `${t.seconds}.${String(t.nanoseconds).padStart(9, '0')}`;
const timestampOf = (text: string) => {
  const [seconds, nanoseconds] = text.split('.');
  return new Timestamp(Number(seconds), Number(nanoseconds ?? 0));
};

/** Stores a snapshot (one object, replaced whole), with its `asOf` in the object's metadata. */
export async function writeSnapshot(storage: Storage, bucket: string, snapshot: CatalogSnapshot): Promise<{ bytes: number }> {
  const data = encodeSnapshot(snapshot);
  const save = () =>
    storage.bucket(bucket).file(SNAPSHOT_OBJECT).save(data, {
      resumable: false,
      contentType: 'application/json',
      metadata: { cacheControl: 'no-store', metadata: { asOf: asText(snapshot.asOf), items: String(snapshot.items.length) } },
    });
  // Replacing the whole object is safe to repeat; the client does not retry an upload without a precondition, and a
  // kept-alive connection the server has just closed fails it with ECONNRESET.
  for (let attempt = 1; ; attempt++) {
    try {
      await save();
      return { bytes: data.length };
    } catch (err) {
      if (attempt === 3 || !['ECONNRESET', 'EPIPE'].includes((err as { code?: string }).code ?? '')) throw err;
    }
  }
}

/** The search item of a product document, or null when it is archived or does not parse. */
export function catalogItemOf(id: string, data: unknown, available: number): CatalogItem | null {
  const parsed = ProductDoc.safeParse(data);
  if (!parsed.success || parsed.data.status === 'archived') return null;
  const { status: _status, ...doc } = parsed.data;
  return { id, ...doc, available };
}

/**
 * Reads the whole active catalog with its stock. `asOf` is the earlier of the two reads' times, so nothing
 * committed after it is missing from a reader that follows changes from there.
 */
export async function readCatalog(fs: Firestore): Promise<CatalogSnapshot> {
  const [products, stock] = await Promise.all([fs.collection(collections.products).get(), fs.collection(collections.stock).get()]);
  const available = new Map(stock.docs.map((d) => [d.id, StockDoc.safeParse(d.data()).data?.available ?? 0]));
  const items = products.docs.flatMap((d) => catalogItemOf(d.id, d.data(), available.get(d.id) ?? 0) ?? []);
  const asOf = products.readTime.valueOf() < stock.readTime.valueOf() ? products.readTime : stock.readTime;
  return { asOf, items };
}
