import type { Firestore } from '@google-cloud/firestore';
import type { Storage } from '@google-cloud/storage';
import { categoryPath, leafCategories, type CategoryId } from '../../schemas/index.ts';
import { updatedAtCommit, type ProductDoc } from '../../functions/lib/catalog.ts';
import { collections } from '../../functions/lib/firestore.ts';
import { readCatalog, writeSnapshot } from '../../functions/lib/catalog-snapshot.ts';
import { buildIndex } from '../../functions/catalog-api/search.ts';
import { uploadPlaceholder } from './images.ts';

const nouns: Partial<Record<CategoryId, string[]>> = {
  sneakers: ['Sneakers', 'Trainers', 'Court Shoes', 'Runners'],
  boots: ['Chelsea Boots', 'Hiking Boots', 'Work Boots', 'Rain Boots'],
  sandals: ['Sandals', 'Slides', 'Flip-Flops'],
  tops: ['T-Shirt', 'Polo Shirt', 'Oxford Shirt', 'Tank Top'],
  outerwear: ['Rain Jacket', 'Down Jacket', 'Fleece', 'Parka'],
  trousers: ['Chinos', 'Jeans', 'Joggers', 'Cargo Trousers'],
  bags: ['Backpack', 'Tote Bag', 'Messenger Bag', 'Duffel'],
  hats: ['Cap', 'Beanie', 'Bucket Hat', 'Sun Hat'],
  eyewear: ['Sunglasses', 'Reading Glasses', 'Ski Goggles'],
  kitchen: ['Coffee Mug', 'Cutting Board', 'Chef Knife', 'Teapot'],
  lighting: ['Desk Lamp', 'Floor Lamp', 'String Lights', 'Lantern'],
  textiles: ['Throw Blanket', 'Cushion', 'Bath Towel', 'Rug'],
  camping: ['Tent', 'Sleeping Bag', 'Camping Stove', 'Camp Chair'],
  hiking: ['Trekking Poles', 'Water Bottle', 'Headlamp', 'Daypack'],
  audio: ['Headphones', 'Earbuds', 'Bluetooth Speaker', 'Turntable'],
  power: ['Power Bank', 'USB-C Charger', 'Solar Panel', 'Cable Set'],
  peripherals: ['Keyboard', 'Mouse', 'USB-C Hub', 'Webcam'],
};
const basePrice: Record<string, number> = { shoes: 6900, apparel: 3900, accessories: 2500, home: 1900, outdoor: 4500, electronics: 5900 };
const brands = ['Northwind', 'Acme', 'Fjällräv', 'Contoso', 'Lumen', 'Kestrel', 'Émile & Co', 'Tailwind', 'Bergström', 'Océane'];
const adjectives = ['Classic', 'Urban', 'Alpine', 'Everyday', 'Pro', 'Lightweight', 'Vintage', 'Eco', 'Signature', 'Compact', 'Rugged', 'Café'];
const colours = ['black', 'white', 'navy', 'olive', 'red', 'grey', 'sand', 'blue'];
const sizes: Partial<Record<string, string[]>> = {
  shoes: ['38', '39', '40', '41', '42', '43', '44', '45', '46'],
  apparel: ['XS', 'S', 'M', 'L', 'XL'],
};

/** A small deterministic pseudo-random generator (mulberry32), so every seed run makes the same catalog. */
function random(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A seeded product with its stock. */
export interface SeedProduct {
  id: string;
  doc: ProductDoc;
  available: number;
}

/** Generates `count` products across the leaf categories, with brands, prices, attributes and stock; the same every time. */
export function demoCatalog(count: number): SeedProduct[] {
  const next = random(42);
  const pick = <T>(items: readonly T[]) => items[Math.floor(next() * items.length)]!;
  return Array.from({ length: count }, (_, i) => {
    const category = leafCategories[i % leafCategories.length]!;
    const categories = categoryPath(category);
    const root = categories[0]!;
    const noun = pick(nouns[category] ?? ['Item']);
    const adjective = pick(adjectives);
    const brand = pick(brands);
    const colour = pick(colours);
    const sizeRange = sizes[root];
    const attributes: Record<string, string[]> = { colour: [colour] };
    if (sizeRange) {
      const from = Math.floor(next() * (sizeRange.length - 2));
      attributes.size = sizeRange.slice(from, from + 3);
    }
    const id = `p-${String(i + 1).padStart(5, '0')}`;
    return {
      id,
      doc: {
        name: `${adjective} ${noun}`,
        description: `${brand} ${adjective.toLowerCase()} ${noun.toLowerCase()} in ${colour}, item ${i + 1} of the demo catalog.`,
        category,
        categories,
        brand,
        price: { amount: basePrice[root]! + Math.floor(next() * 40) * 100 + 99, currency: 'EUR' },
        attributes,
        images: [],
        createdAt: new Date(Date.UTC(2026, 0, 1) + i * 3_600_000).toISOString(),
        status: 'active',
      },
      available: next() < 0.05 ? 0 : 5 + Math.floor(next() * 200),
    };
  });
}

/** Where seeded product images go; without it products are seeded without images. */
export interface ImageTarget {
  storage: Storage;
  bucket: string;
  publicUrl: string;
}

/**
 * Writes products and their stock to Firestore with a bulk writer, each with a placeholder image uploaded to Cloud
 * Storage when `images` is given; `onProgress` hears how many products are done.
 */
export async function writeCatalog(
  fs: Firestore,
  products: SeedProduct[],
  options: {
    images?: ImageTarget;
    onProgress?: (done: number) => void;
    /**
     * Write as fast as the emulator takes, for a stack whose functions have not started. BulkWriter otherwise ramps up
     * from 500 writes/s (Firestore's 500/50/5 rule for new collections): 100,000 products took 400 s, unthrottled 41 s
     * with the snapshot. Into a running stack it stays on: the emulator sends each listener its whole result set again
     * on every change, and a catalog-api that follows the catalog could not keep up.
     */
    unthrottled?: boolean;
  } = {},
): Promise<void> {
  const writer = fs.bulkWriter(options.unthrottled && process.env.FIRESTORE_EMULATOR_HOST ? { throttling: false } : {});
  let done = 0;
  const queue = [...products.entries()];
  const worker = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      const [i, p] = next;
      const images = options.images
        ? [await uploadPlaceholder(options.images, { id: p.id, rootCategory: p.doc.categories[0]!, seed: i })]
        : p.doc.images;
      void writer.set(fs.collection(collections.products).doc(p.id), { ...p.doc, images, updatedAt: updatedAtCommit() });
      void writer.set(fs.collection(collections.stock).doc(p.id), { available: p.available, updatedAt: updatedAtCommit() }).then(() => options.onProgress?.(++done));
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  await writer.close();
}

/**
 * Reads the whole catalog from Firestore and stores it as catalog-api's search snapshot (items with the index's own
 * structures), so an instance that starts next loads it instead of every product; answers what was stored.
 */
export async function writeCatalogSnapshot(fs: Firestore, storage: Storage, bucket: string): Promise<{ products: number; bytes: number; asOf: Date }> {
  const snapshot = await readCatalog(fs);
  const { items, data } = buildIndex(snapshot.items).export();
  const { bytes } = await writeSnapshot(storage, bucket, { asOf: snapshot.asOf, items, index: data });
  return { products: items.length, bytes, asOf: snapshot.asOf.toDate() };
}
