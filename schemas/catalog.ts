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
