import type { SearchItem } from '../../functions/catalog-api/search.ts';

/** A searchable product: a pair of sneakers unless `over` says otherwise. */
export const searchItem = (id: string, over: Partial<SearchItem> = {}): SearchItem => ({
  id,
  name: 'Thing',
  description: '',
  brand: 'Acme',
  category: 'sneakers',
  categories: ['shoes', 'sneakers'],
  price: { amount: 5000, currency: 'EUR' },
  attributes: {},
  images: [],
  createdAt: '2026-01-01T00:00:00.000Z',
  available: 10,
  ...over,
});
