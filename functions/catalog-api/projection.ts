import { Timestamp, type DocumentChange, type Firestore, type Query } from '@google-cloud/firestore';
import { StockDoc } from '../lib/catalog.ts';
import { catalogItemOf, type CatalogSnapshot } from '../lib/catalog-snapshot.ts';
import { collections } from '../lib/firestore.ts';
import type { Logger } from '../lib/logger.ts';
import { buildIndex, restoreIndex, type SearchIndex } from './search.ts';

/** A listener delivery with more product changes than this (and than a tenth of the catalog) rebuilds the index. */
const BULK_CHANGES = 1000;

/** The catalog as this instance sees it. */
export interface CatalogProjection {
  /**
   * The current search index. The first call waits for the initial load: until the listeners are live, or, from a
   * snapshot at most `serveWithinMs` old, only until that snapshot is restored (the listeners catch up behind it).
   */
  index(): Promise<SearchIndex>;
  /** Resolves once the listeners are live, so changes are being followed (starting them if needed). */
  ready(): Promise<void>;
  /** Stores the catalog as this instance holds it now, unless a newer snapshot is stored already. */
  writeSnapshot(): Promise<'written' | 'newer-stored'>;
}

/** Where snapshots are kept (Cloud Storage in production). */
export interface SnapshotStore {
  read(): Promise<CatalogSnapshot | null>;
  write(snapshot: CatalogSnapshot): Promise<void>;
  /** The `asOf` of the stored snapshot, or null when there is none. */
  storedAsOf(): Promise<Timestamp | null>;
}

/**
 * The catalog as this instance searches it. At start it loads the stored snapshot and follows, with Firestore
 * listeners, every product and stock document whose `updatedAt` is at or after the snapshot's `asOf` less `overlapMs`
 * (without a snapshot: every document). Each change updates the index in place. After changes (debounced by
 * `writeAfterMs`) or a start without a snapshot, it stores a new snapshot for the next instance. `onChange` hears the
 * ids of products whose product or stock document changed after the initial load.
 */
export function createCatalogProjection(deps: {
  firestore: Firestore;
  log: () => Logger;
  snapshots: SnapshotStore | null;
  /** How far before the snapshot's `asOf` to start following changes (writers whose clocks run behind). */
  overlapMs: number;
  /** Answer from a restored snapshot at most this old (by its `asOf`) before the listeners are live; 0 never does. */
  serveWithinMs?: number;
  /** Store a snapshot this long after the first change heard since the last one; 0 never stores. */
  writeAfterMs: number;
  onChange?: (productIds: string[]) => void;
}): CatalogProjection {
  const fs = deps.firestore;
  const onChange = deps.onChange ?? (() => undefined);
  let index: SearchIndex = buildIndex([]);
  const stock = new Map<string, number>();
  const pending = new Set<Promise<void>>();
  const readTimes = { products: null as Timestamp | null, stock: null as Timestamp | null };
  let loaded: Promise<void> | null = null;
  /** While the listeners catch up: a wait for the snapshot's restore, and its `asOf` once restored. */
  let restored: { asOf: Timestamp | null; done: Promise<void>; resolve: () => void } | null = null;
  let live = false;
  let stop: (() => void)[] = [];
  let writeTimer: NodeJS.Timeout | null = null;

  const availableOf = (id: string) => stock.get(id) ?? index.get(id)?.available ?? 0;
  const applyProduct = (id: string, data: unknown) => {
    const item = data === null ? null : catalogItemOf(id, data, availableOf(id));
    if (item) index.upsert(item);
    else index.remove(id);
  };

  function scheduleWrite() {
    if (!deps.snapshots || deps.writeAfterMs <= 0 || writeTimer) return;
    writeTimer = setTimeout(() => {
      writeTimer = null;
      writeSnapshot().catch((err: unknown) => deps.log().warn({ err }, 'catalog snapshot not stored; the next change tries again'));
    }, deps.writeAfterMs);
    writeTimer.unref();
  }

  async function writeSnapshot(): Promise<'written' | 'newer-stored'> {
    await ready();
    await Promise.all([...pending]);
    const asOf = [readTimes.products!, readTimes.stock!].reduce((a, b) => (a.valueOf() < b.valueOf() ? a : b));
    const { items, data } = index.export();
    const stored = await deps.snapshots!.storedAsOf();
    if (stored && stored.valueOf() >= asOf.valueOf()) return 'newer-stored';
    await deps.snapshots!.write({ asOf, items, index: data });
    deps.log().info({ products: items.length, asOf: asOf.toDate().toISOString() }, 'catalog snapshot stored');
    return 'written';
  }

  async function listen(): Promise<void> {
    const started = performance.now();
    const snapshot = deps.snapshots
      ? await deps.snapshots.read().catch((err: unknown) => {
          deps.log().warn({ err }, 'catalog snapshot unreadable; loading every product from Firestore instead');
          return null;
        })
      : null;
    const snapshotRead = performance.now();
    index = snapshot ? restoreIndex(snapshot.items, snapshot.index) : buildIndex([]);
    const restoredAt = performance.now();
    // How old the snapshot was when the index was restored from it.
    const snapshotAgeMs = snapshot ? Date.now() - snapshot.asOf.toMillis() : undefined;
    if (snapshot && restored) {
      restored.asOf = snapshot.asOf;
      restored.resolve();
      if (servable()) deps.log().info({ products: index.size, snapshotAgeMs }, 'searching the snapshot while the listeners catch up');
    }
    stock.clear();
    const since = snapshot ? Timestamp.fromMillis(snapshot.asOf.toMillis() - deps.overlapMs) : null;
    const followed = (collection: string): Query => (since ? fs.collection(collection).where('updatedAt', '>=', since) : fs.collection(collection));

    await new Promise<void>((resolve, reject) => {
      let products = false;
      let levels = false;
      const fail = (err: Error) => {
        deps.log().error({ err }, 'catalog listener failed; it restarts with the next request');
        stop.forEach((unsubscribe) => unsubscribe());
        stop = [];
        loaded = null;
        live = false;
        reject(err);
      };
      const heard = (changes: DocumentChange[]) => {
        if (products && levels) {
          onChange(changes.map((c) => c.doc.id));
          scheduleWrite();
        }
      };
      stop.push(
        followed(collections.products).onSnapshot((snap) => {
          const changes = snap.docChanges();
          if (changes.length > Math.max(BULK_CHANGES, index.size / 10)) {
            // Inserting one by one keeps four sorted arrays in order at O(catalog) each: a first full load rebuilds.
            const items = new Map(index.items().map((i) => [i.id, i]));
            for (const change of changes) {
              const item = change.type === 'removed' ? null : catalogItemOf(change.doc.id, change.doc.data(), availableOf(change.doc.id));
              if (item) items.set(item.id, item);
              else items.delete(change.doc.id);
            }
            index = buildIndex(items.values());
          } else for (const change of changes) {
            const id = change.doc.id;
            if (change.type !== 'removed') applyProduct(id, change.doc.data());
            else if (!since) index.remove(id);
            else {
              // It left the followed set: deleted, or rewritten without updatedAt. Ask which.
              const check = change.doc.ref.get().then((doc) => applyProduct(id, doc.exists ? doc.data() : null));
              pending.add(check);
              void check.finally(() => pending.delete(check)).catch((err: unknown) => deps.log().error({ err, productId: id }, 'product left the followed set and could not be read'));
            }
          }
          readTimes.products = snap.readTime;
          heard(snap.docChanges());
          if (!products && levels) resolve();
          products = true;
        }, fail),
        followed(collections.stock).onSnapshot((snap) => {
          for (const change of snap.docChanges()) {
            const id = change.doc.id;
            const available = change.type === 'removed' ? 0 : (StockDoc.safeParse(change.doc.data()).data?.available ?? 0);
            stock.set(id, available);
            index.setAvailable(id, available);
          }
          readTimes.stock = snap.readTime;
          heard(snap.docChanges());
          if (!levels && products) resolve();
          levels = true;
        }, fail),
      );
    });
    live = true;
    restored = null;
    const now = performance.now();
    deps.log().info(
      {
        products: index.size,
        fromSnapshot: snapshot !== null,
        snapshotAsOf: snapshot?.asOf.toDate().toISOString(),
        ms: Math.round(now - started),
        // Where the time went: reading the snapshot, restoring the index from it, the listeners' first answers.
        phasesMs: { snapshot: Math.round(snapshotRead - started), restore: Math.round(restoredAt - snapshotRead), follow: Math.round(now - restoredAt) },
        snapshotAgeMs,
      },
      'catalog loaded',
    );
    if (!snapshot) scheduleWrite();
  }

  const serveWithinMs = deps.serveWithinMs ?? 0;
  /** A fresh-enough snapshot is restored: searches may use it while the listeners catch up. */
  const servable = () => !!restored?.asOf && Date.now() - restored.asOf.toMillis() <= serveWithinMs;
  const ready = () => {
    if (!loaded) {
      if (deps.snapshots && serveWithinMs > 0) {
        let resolve!: () => void;
        const done = new Promise<void>((r) => (resolve = r));
        restored = { asOf: null, done, resolve };
      }
      loaded = listen();
    }
    return loaded;
  };
  return {
    ready,
    async index() {
      const loading = ready();
      if (live) return index;
      if (restored) await Promise.race([loading, restored.done]);
      if (!live && !servable()) await loading;
      return index;
    },
    writeSnapshot,
  };
}
