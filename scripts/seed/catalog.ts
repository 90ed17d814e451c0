import type { Firestore } from '@google-cloud/firestore';
import { collections } from '../../functions/lib/firestore.ts';
import type { ProductDoc } from '../../functions/lib/catalog.ts';

const categories = {
  shoes: { nouns: ['Sneakers', 'Trail Runners', 'Loafers', 'Boots', 'Sandals'], base: 6900 },
  apparel: { nouns: ['Hoodie', 'T-Shirt', 'Rain Jacket', 'Chinos', 'Wool Sweater'], base: 3900 },
  accessories: { nouns: ['Backpack', 'Cap', 'Leather Belt', 'Sunglasses', 'Wallet'], base: 2500 },
  home: { nouns: ['Coffee Mug', 'Throw Blanket', 'Desk Lamp', 'Cutting Board', 'Candle'], base: 1900 },
  outdoor: { nouns: ['Tent', 'Sleeping Bag', 'Water Bottle', 'Camping Stove', 'Headlamp'], base: 4500 },
  electronics: { nouns: ['Headphones', 'Power Bank', 'Bluetooth Speaker', 'Keyboard', 'USB-C Hub'], base: 5900 },
} as const;
const brands = ['Northwind', 'Acme', 'Fjällräv', 'Contoso', 'Lumen', 'Kestrel', 'Émile & Co', 'Tailwind'];
const adjectives = ['Classic', 'Urban', 'Alpine', 'Everyday', 'Pro', 'Lightweight', 'Vintage', 'Eco', 'Signature', 'Compact'];

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

/** Generates `count` products across the demo categories, the same every time. */
export function demoCatalog(count: number): SeedProduct[] {
  const next = random(42);
  const names = Object.keys(categories) as (keyof typeof categories)[];
  return Array.from({ length: count }, (_, i) => {
    const category = names[i % names.length]!;
    const { nouns, base } = categories[category];
    const noun = nouns[Math.floor(next() * nouns.length)]!;
    const adjective = adjectives[Math.floor(next() * adjectives.length)]!;
    const brand = brands[Math.floor(next() * brands.length)]!;
    const id = `p-${String(i + 1).padStart(5, '0')}`;
    return {
      id,
      doc: {
        name: `${adjective} ${noun}`,
        description: `${brand} ${adjective.toLowerCase()} ${noun.toLowerCase()}, item ${i + 1} of the demo catalog.`,
        category,
        brand,
        price: { amount: base + Math.floor(next() * 40) * 100 + 99, currency: 'EUR' },
        imageUrls: [],
        createdAt: new Date(Date.UTC(2026, 0, 1) + i * 3_600_000).toISOString(),
      },
      available: 5 + Math.floor(next() * 200),
    };
  });
}

/** Writes products and their stock to Firestore with a bulk writer; `onProgress` hears how many are done. */
export async function writeCatalog(fs: Firestore, products: SeedProduct[], onProgress?: (done: number) => void): Promise<void> {
  const writer = fs.bulkWriter();
  let done = 0;
  for (const p of products) {
    void writer.set(fs.collection(collections.products).doc(p.id), p.doc);
    void writer.set(fs.collection(collections.stock).doc(p.id), { available: p.available }).then(() => onProgress?.(++done));
  }
  await writer.close();
}
