import createClient from 'openapi-fetch';
import type { components, paths } from './openapi-types.ts';

/** The API's schemas, generated from its OpenAPI document (`npm run docs` writes openapi-types.ts). */
export type Schemas = components['schemas'];
export type TimelineEntry = Schemas['TimelineEntry'];
export type Span = Schemas['Span'];

const TOKEN_KEY = 'saga-console-token';

/** Takes an admin token handed over in the URL's fragment (`/console/#token=…`, never sent to a server) into this tab. */
export function takeTokenFromUrl(): void {
  const handed = new URLSearchParams(location.hash.slice(1)).get('token');
  if (handed) {
    sessionStorage.setItem(TOKEN_KEY, handed);
    history.replaceState(null, '', location.pathname + location.search);
  }
}

export const token = () => sessionStorage.getItem(TOKEN_KEY);
export const setToken = (value: string) => sessionStorage.setItem(TOKEN_KEY, value.trim());
export const signOut = () => sessionStorage.removeItem(TOKEN_KEY);

/** The typed client of the public HTTP API, signed in with the admin token of this tab. */
export const api = createClient<paths>({ baseUrl: location.origin });
api.use({
  onRequest({ request }) {
    const t = token();
    if (t) request.headers.set('Authorization', `Bearer ${t}`);
    return request;
  },
});

/** A problem+json answer as one line: its title and detail. */
export const describeProblem = (error: unknown): string => {
  const p = error as { title?: string; detail?: string } | undefined;
  return p?.title ? `${p.title}${p.detail ? `: ${p.detail}` : ''}` : 'the API did not answer; is the stack running?';
};

/** Money in minor units as the shop shows it. */
export const money = (m: { amount: number; currency: string }) =>
  new Intl.NumberFormat('en', { style: 'currency', currency: m.currency }).format(m.amount / 10 ** (m.currency === 'JPY' ? 0 : 2));

/** A fresh key for each operator action, so a double click or a retried request acts once. */
export const idempotencyKey = () => ({ 'Idempotency-Key': crypto.randomUUID() });
