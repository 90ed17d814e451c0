import type { Firestore } from '@google-cloud/firestore';
import { z } from 'zod';
import { ListProductsQuery, ProductId, type ProductView } from '../../schemas/index.ts';
import { getAvailable, getProducts, listProducts, type Product } from '../lib/catalog.ts';
import type { Route } from '../lib/http/api.ts';
import { decodeCursor, encodeCursor } from '../lib/http/cursor.ts';
import { HttpProblem, validationProblem } from '../lib/http/problem.ts';

const Position = z.object({ name: z.string(), id: ProductId });

const view = (p: Product, available: number): ProductView => ({
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

/** Catalog reads are public, as on any shop front; a token that is sent must still be valid. */
export function createCatalogRoutes(deps: { firestore: Firestore }): Route[] {
  const { firestore } = deps;
  return [
    {
      method: 'GET',
      path: /^\/v1\/products\/?$/,
      auth: 'public',
      async handle({ req }) {
        const query = ListProductsQuery.safeParse(req.query);
        if (!query.success) throw validationProblem(query.error, 'query');
        const { category, limit, cursor } = query.data;
        const after = cursor ? decodeCursor(cursor, Position) : undefined;
        const page = await listProducts(firestore, { category, limit: limit + 1, after });
        const items = page.slice(0, limit);
        const available = await getAvailable(firestore, items.map((p) => p.id));
        const last = items.at(-1);
        return {
          status: 200,
          body: {
            items: items.map((p) => view(p, available.get(p.id) ?? 0)),
            nextCursor: page.length > limit && last ? encodeCursor({ name: last.name, id: last.id }) : null,
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
