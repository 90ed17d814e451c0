import { z } from 'zod';
import { Money } from './common.ts';

/** The category tree: every category with its display name and parent; products sit in leaf categories. */
export const categoryTree = {
  shoes: { name: 'Shoes', parent: null },
  sneakers: { name: 'Sneakers', parent: 'shoes' },
  boots: { name: 'Boots', parent: 'shoes' },
  sandals: { name: 'Sandals', parent: 'shoes' },
  apparel: { name: 'Apparel', parent: null },
  tops: { name: 'Tops', parent: 'apparel' },
  outerwear: { name: 'Outerwear', parent: 'apparel' },
  trousers: { name: 'Trousers', parent: 'apparel' },
  accessories: { name: 'Accessories', parent: null },
  bags: { name: 'Bags', parent: 'accessories' },
  hats: { name: 'Hats', parent: 'accessories' },
  eyewear: { name: 'Eyewear', parent: 'accessories' },
  home: { name: 'Home', parent: null },
  kitchen: { name: 'Kitchen', parent: 'home' },
  lighting: { name: 'Lighting', parent: 'home' },
  textiles: { name: 'Textiles', parent: 'home' },
  outdoor: { name: 'Outdoor', parent: null },
  camping: { name: 'Camping', parent: 'outdoor' },
  hiking: { name: 'Hiking', parent: 'outdoor' },
  electronics: { name: 'Electronics', parent: null },
  audio: { name: 'Audio', parent: 'electronics' },
  power: { name: 'Power', parent: 'electronics' },
  peripherals: { name: 'Peripherals', parent: 'electronics' },
} as const satisfies Record<string, { name: string; parent: string | null }>;

export type CategoryId = keyof typeof categoryTree;
export const categoryIds = Object.keys(categoryTree) as CategoryId[];

/** A category and its ancestors, root first: what a product in it is found under. */
export function categoryPath(id: CategoryId): CategoryId[] {
  const parent: CategoryId | null = categoryTree[id].parent;
  return parent ? [...categoryPath(parent), id] : [id];
}

/** Categories with no children: the ones products are filed in. */
export const leafCategories = categoryIds.filter((id) => !categoryIds.some((c) => categoryTree[c].parent === id));

/** Product attributes a shopper can filter on (query parameters of the same name). */
export const attributeNames = ['colour', 'size'] as const;

/** Categories products can be filed in (leaves of the tree), as a zod enum. */
export const LeafCategory = z.enum(leafCategories as [CategoryId, ...CategoryId[]]);

const productFields = {
  name: z.string().trim().min(1).max(200),
  description: z.string().max(5000),
  category: LeafCategory,
  brand: z.string().trim().min(1).max(100),
  price: Money.refine((m) => m.amount > 0, { message: 'must be more than zero', path: ['amount'] }),
  attributes: z.partialRecord(z.enum(attributeNames), z.array(z.string().trim().min(1).max(50)).min(1).max(50)),
};

/** Body of `POST /v1/products` (admin). */
export const CreateProductRequest = z.strictObject({
  ...productFields,
  description: productFields.description.default(''),
  attributes: productFields.attributes.default({}),
  stock: z.number().int().min(0).max(1_000_000).default(0),
});
export type CreateProductRequest = z.infer<typeof CreateProductRequest>;

/** Body of `PATCH /v1/products/{id}` (admin, JSON merge patch): any of the product's fields. */
export const UpdateProductRequest = z
  .strictObject(productFields)
  .partial()
  .refine((patch) => Object.keys(patch).length > 0, { message: 'change at least one field' });
export type UpdateProductRequest = z.infer<typeof UpdateProductRequest>;

/** Body of `POST /v1/products/{id}/stock-adjustments` (admin). */
export const StockAdjustmentRequest = z.strictObject({
  delta: z.number().int().min(-1_000_000).max(1_000_000).refine((d) => d !== 0, { message: 'must not be zero' }),
  reason: z.string().trim().min(1).max(200),
});
