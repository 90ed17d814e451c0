import { describe, expect, it } from 'vitest';
import { fingerprintOf } from './idempotency.ts';

describe('fingerprintOf', () => {
  it('when two bodies mean the same (keys in another order), then they fingerprint the same', () => {
    const a = fingerprintOf({ method: 'POST', path: '/v1/orders', body: { items: [{ productId: 'p', quantity: 1 }], contact: { email: 'a@x.io' } } });
    const b = fingerprintOf({ method: 'POST', path: '/v1/orders', body: { contact: { email: 'a@x.io' }, items: [{ quantity: 1, productId: 'p' }] } });
    expect(a).toBe(b);
  });

  it('when the body, the path or the method differs, then the fingerprint differs', () => {
    const base = { method: 'POST', path: '/v1/orders', body: { quantity: 1 } };
    const fp = fingerprintOf(base);
    expect(fingerprintOf({ ...base, body: { quantity: 2 } })).not.toBe(fp);
    expect(fingerprintOf({ ...base, path: '/v1/products' })).not.toBe(fp);
    expect(fingerprintOf({ ...base, method: 'PUT' })).not.toBe(fp);
  });

  it('when the body is bytes, then the bytes are what counts', () => {
    expect(fingerprintOf({ method: 'POST', path: '/i', body: Buffer.from([1, 2]) })).not.toBe(fingerprintOf({ method: 'POST', path: '/i', body: Buffer.from([1, 3]) }));
  });
});
