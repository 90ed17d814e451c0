import type { Storage } from '@google-cloud/storage';
import { PNG } from 'pngjs';
import type { ProductImage } from '../../functions/lib/catalog.ts';

const palette: Record<string, [number, number, number]> = {
  shoes: [196, 92, 62],
  apparel: [70, 110, 160],
  accessories: [150, 120, 70],
  home: [110, 150, 110],
  outdoor: [60, 120, 80],
  electronics: [90, 90, 110],
};

/** A 64×64 PNG in the colour of a top-level category, with a lighter square that moves with `seed`. */
export function placeholderPng(category: string, seed: number): Buffer {
  const [r, g, b] = palette[category] ?? [128, 128, 128];
  const png = new PNG({ width: 64, height: 64 });
  const offset = seed % 32;
  for (let y = 0; y < 64; y++) {
    for (let x = 0; x < 64; x++) {
      const inside = x >= offset && x < offset + 32 && y >= 16 && y < 48;
      const i = (y * 64 + x) * 4;
      png.data[i] = inside ? Math.min(255, r + 60) : r;
      png.data[i + 1] = inside ? Math.min(255, g + 60) : g;
      png.data[i + 2] = inside ? Math.min(255, b + 60) : b;
      png.data[i + 3] = 255;
    }
  }
  return PNG.sync.write(png);
}

/** Uploads a product's placeholder image to Cloud Storage and describes it as the product document stores it. */
export async function uploadPlaceholder(
  target: { storage: Storage; bucket: string; publicUrl: string },
  product: { id: string; rootCategory: string; seed: number },
): Promise<ProductImage> {
  const bytes = placeholderPng(product.rootCategory, product.seed);
  const object = `products/${product.id}/seed-1.png`;
  await target.storage.bucket(target.bucket).file(object).save(bytes, {
    resumable: false,
    contentType: 'image/png',
    metadata: { cacheControl: 'public, max-age=31536000, immutable' },
  });
  return { id: 'seed-1', object, url: `${target.publicUrl}/${target.bucket}/${object}`, contentType: 'image/png', bytes: bytes.length };
}
