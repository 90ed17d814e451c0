import { gunzipSync, gzipSync } from 'node:zlib';
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
}

/** The object a snapshot is stored as in its bucket. */
export const SNAPSHOT_OBJECT = 'catalog/snapshot.json.gz';
const FORMAT = 1;

/** A snapshot as gzipped JSON, the format `decodeSnapshot` reads. */
export function encodeSnapshot(snapshot: CatalogSnapshot): Buffer {
  const body = { format: FORMAT, asOf: { seconds: snapshot.asOf.seconds, nanoseconds: snapshot.asOf.nanoseconds }, items: snapshot.items };
  return gzipSync(JSON.stringify(body), { level: 1 });
}

/** Reads what `encodeSnapshot` wrote; throws on another format. */
export function decodeSnapshot(data: Buffer): CatalogSnapshot {
  const body = JSON.parse(gunzipSync(data).toString('utf8')) as { format: number; asOf: { seconds: number; nanoseconds: number }; items: CatalogItem[] };
  if (body.format !== FORMAT) throw new Error(`catalog snapshot format ${body.format}; this code reads ${FORMAT}`);
  return { asOf: new Timestamp(body.asOf.seconds, body.asOf.nanoseconds), items: body.items };
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
  await storage.bucket(bucket).file(SNAPSHOT_OBJECT).save(data, {
    resumable: false,
    contentType: 'application/gzip',
    metadata: { cacheControl: 'no-store', metadata: { asOf: asText(snapshot.asOf), items: String(snapshot.items.length) } },
  });
  return { bytes: data.length };
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
