import type { Firestore } from '@google-cloud/firestore';
import { z } from 'zod';
import { attributeNames, ListProductsQuery, ProductId, type ProductView } from '../../schemas/index.ts';
import { getAvailable, getProducts, type Product } from '../lib/catalog.ts';
import type { Route } from '../lib/http/api.ts';
import { decodeCursor, encodeCursor } from '../lib/http/cursor.ts';
import { HttpProblem, validationProblem } from '../lib/http/problem.ts';
import { search, type SearchIndex } from './search.ts';

const Position = z.object({
  s: z.enum(['relevance', 'price_asc', 'price_desc', 'newest', 'name']),
  k: z.union([z.string(), z.number()]),
  i: ProductId,
});

const view = (p: Omit<Product, 'available'>, available: number): ProductView => ({
  id: p.id,
  name: p.name,
  description: p.description,
  category: p.category,
  categories: p.categories,
  brand: p.brand,
  price: p.price,
  attributes: p.attributes,
  imageUrls: p.imageUrls,
  available,
});

/**
 * Catalog API: search and browse over this instance's catalog projection, and product reads from Firestore. Reads are
 * public, as on any shop front; a token that is sent must still be valid.
 */
export function createCatalogRoutes(deps: { firestore: Firestore; projection: () => Promise<SearchIndex> }): Route[] {
  const { firestore } = deps;
  return [
    {
      method: 'GET',
      path: /^\/v1\/products\/?$/,
      auth: 'public',
      async handle({ req }) {
        const parsed = ListProductsQuery.safeParse(req.query);
        if (!parsed.success) throw validationProblem(parsed.error, 'query');
        const { q, category, brand, minPrice, maxPrice, inStock, sort, limit, cursor } = parsed.data;
        const attributes = Object.fromEntries(
          attributeNames.flatMap((name) => {
            const values = (parsed.data as Record<string, unknown>)[name] as string[] | undefined;
            return values ? [[name, values]] : [];
          }),
        );
        const position = cursor ? decodeCursor(cursor, Position) : undefined;
        const result = search(await deps.projection(), {
          q, category, brands: brand, minPrice, maxPrice, inStock, attributes, sort, limit,
          ...(position ? { after: { key: position.k, id: position.i } } : {}),
        });
        if (position && position.s !== result.sort) {
          throw HttpProblem.of('validation-error', 'query.cursor: belongs to another sort order', {
            errors: [{ path: 'query.cursor', message: 'belongs to another sort order; start again without a cursor' }],
          });
        }
        // Stock shown is read now from the source of truth; the projection's copy only filters.
        const available = await getAvailable(firestore, result.items.map((p) => p.id));
        return {
          status: 200,
          body: {
            items: result.items.map((p) => view(p, available.get(p.id) ?? 0)),
            facets: result.facets,
            total: result.total,
            nextCursor: result.next ? encodeCursor({ s: result.sort, k: result.next.key, i: result.next.id }) : null,
          },
        };
      },
    },
    {
      method: 'GET',
      path: /^\/v1\/products\/([^/]+)$/,
      auth: 'public',
      async handle({ params }) {
        const id = ProductId.safeParse(params[0]);
        if (!id.success) throw validationProblem(id.error, 'path');
        const [products, available] = await Promise.all([
          getProducts(firestore, [id.data]),
          getAvailable(firestore, [id.data]),
        ]);
        const product = products.get(id.data);
        if (!product) throw HttpProblem.of('not-found', `no product ${id.data}`);
        return { status: 200, body: view(product, available.get(id.data) ?? 0) };
      },
    },
  ];
}
