import type { Firestore } from '@google-cloud/firestore';
import { ProductDoc, StockDoc } from '../lib/catalog.ts';
import { collections } from '../lib/firestore.ts';
import type { Logger } from '../lib/logger.ts';
import { buildIndex, type SearchIndex, type SearchItem } from './search.ts';

/**
 * The catalog as this instance searches it: every product with its stock, loaded once and then kept current by
 * Firestore listeners. A product change rebuilds the index on the next query; a stock change updates the item in
 * place. Resolves the current index; the first call waits for the initial load.
 */
export function createCatalogProjection(fs: Firestore, log: () => Logger): () => Promise<SearchIndex> {
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
          levels = true;
          if (products) resolve();
        }, fail),
      );
    });
  }

  return async () => {
    loaded ??= listen();
    await loaded;
    index ??= buildIndex([...items.values()]);
    return index;
  };
}
