import type { Firestore } from '@google-cloud/firestore';
import { ProductDoc, StockDoc } from '../lib/catalog.ts';
import { collections } from '../lib/firestore.ts';
import type { Logger } from '../lib/logger.ts';
import { buildIndex, type SearchIndex, type SearchItem } from './search.ts';

/** The catalog as this instance sees it. */
export interface CatalogProjection {
  /** The current search index; the first call waits for the initial load. */
  index(): Promise<SearchIndex>;
  /** Resolves once the listeners are live, so changes are being followed (starting them if needed). */
  ready(): Promise<void>;
}

/**
 * The catalog as this instance searches it: every product with its stock, loaded once and then kept current by
 * Firestore listeners. A product change rebuilds the index on the next query; a stock change updates the item in
 * place. `onChange` hears the ids of products whose product or stock document changed after the initial load.
 */
export function createCatalogProjection(
  fs: Firestore,
  log: () => Logger,
  onChange: (productIds: string[]) => void = () => undefined,
): CatalogProjection {
  const items = new Map<string, SearchItem>();
  const stock = new Map<string, number>();
  let index: SearchIndex | null = null;
  let loaded: Promise<void> | null = null;
  let stop: (() => void)[] = [];

  function listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      let products = false;
      let levels = false;
      const fail = (err: Error) => {
        log().error({ err }, 'catalog listener failed; it restarts with the next request');
        stop.forEach((unsubscribe) => unsubscribe());
        stop = [];
        loaded = null;
        reject(err);
      };
      stop.push(
        fs.collection(collections.products).onSnapshot((snap) => {
          for (const change of snap.docChanges()) {
            const id = change.doc.id;
            if (change.type === 'removed') {
              items.delete(id);
              continue;
            }
            const parsed = ProductDoc.safeParse(change.doc.data());
            if (parsed.success && parsed.data.status === 'archived') {
              items.delete(id);
              continue;
            }
            if (!parsed.success) {
              log().warn({ productId: id }, 'product document does not match the schema; left out of search');
              items.delete(id);
              continue;
            }
            items.set(id, { id, ...parsed.data, available: stock.get(id) ?? 0 });
          }
          index = null;
          if (products) onChange(snap.docChanges().map((c) => c.doc.id));
          products = true;
          if (levels) resolve();
        }, fail),
        fs.collection(collections.stock).onSnapshot((snap) => {
          for (const change of snap.docChanges()) {
            const id = change.doc.id;
            const available = change.type === 'removed' ? 0 : (StockDoc.safeParse(change.doc.data()).data?.available ?? 0);
            stock.set(id, available);
            const item = items.get(id);
            if (item) item.available = available;
          }
          if (levels) onChange(snap.docChanges().map((c) => c.doc.id));
          levels = true;
          if (products) resolve();
        }, fail),
      );
    });
  }

  const ready = () => (loaded ??= listen());
  return {
    ready,
    async index() {
      await ready();
      index ??= buildIndex([...items.values()]);
      return index;
    },
  };
}
