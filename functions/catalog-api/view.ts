import type { ProductView } from '../../schemas/index.ts';
import type { Product } from '../lib/catalog.ts';

/** A product as the API shows it, with the stock available now. */
export const view = (p: Omit<Product, 'status'>, available: number): ProductView => ({
  id: p.id,
  name: p.name,
  description: p.description,
  category: p.category,
  categories: p.categories,
  brand: p.brand,
  price: p.price,
  attributes: p.attributes,
  imageUrls: p.images.map((i) => i.url),
  available,
});
