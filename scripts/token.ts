import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { loadOrCreateIssuerKey, signIdToken } from './stack/dev-issuer.ts';

const { values } = parseArgs({
  options: {
    sub: { type: 'string', default: 'alice' },
    role: { type: 'string' },
    email: { type: 'string' },
    expires: { type: 'string', default: '12h' },
    issuer: { type: 'string', default: process.env.AUTH_ISSUER ?? 'http://127.0.0.1:8080/dev-issuer' },
    audience: { type: 'string', default: process.env.AUTH_AUDIENCE ?? process.env.GOOGLE_CLOUD_PROJECT ?? 'saga-commerce-local' },
    'key-file': { type: 'string', default: resolve(import.meta.dirname, '../.data/dev-issuer.json') },
  },
});

// Prints an ID token from the local development issuer (the same key `npm run dev` publishes).
const key = await loadOrCreateIssuerKey(values['key-file']);
console.log(
  await signIdToken(key, {
    sub: values.sub,
    ...(values.role ? { role: values.role } : {}),
    ...(values.email ? { email: values.email } : {}),
    issuer: values.issuer,
    audience: values.audience,
    expiresIn: values.expires,
  }),
);
