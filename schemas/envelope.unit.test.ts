import { describe, expect, it } from 'vitest';
import { parseEnvelope } from './envelope.ts';
import { PlaceOrderRequest } from './http.ts';

const orderId = '7f1c1c6e-2b0a-4d7e-9c61-0d8e1f2a3b4c';
const envelope = {
  type: 'payment.failed',
  data: { orderId, paymentId: orderId, reason: 'payment_declined', declineCode: 'generic_decline' },
  metadata: { eventId: orderId, occurredAt: '2026-11-26T10:00:00.000Z', correlationId: orderId, causationId: null, version: 1 },
};

describe('parseEnvelope', () => {
  it('when the envelope matches its type’s schema, then it parses', () => {
    expect(parseEnvelope(envelope, ['payment.failed'])).toMatchObject({ ok: true, envelope: { type: 'payment.failed' } });
  });

  it('when the type is not one the consumer takes, then it is rejected naming the type', () => {
    const result = parseEnvelope(envelope, ['order.placed']);
    expect(result).toMatchObject({ ok: false });
    expect(!result.ok && result.error).toMatch(/payment\.failed/);
  });

  it('when data or metadata is wrong, then it is rejected naming the field', () => {
    const bad = { ...envelope, data: { ...envelope.data, paymentId: 'nope' } };
    const result = parseEnvelope(bad, ['payment.failed']);
    expect(!result.ok && result.error).toMatch(/paymentId/);
    expect(parseEnvelope({ ...envelope, metadata: { ...envelope.metadata, version: 2 } }, ['payment.failed']).ok).toBe(false);
    expect(parseEnvelope(null, ['payment.failed']).ok).toBe(false);
  });
});

describe('PlaceOrderRequest', () => {
  const valid = { items: [{ productId: 'p-1', quantity: 2 }], payment: { method: 'pm_card_visa' }, contact: { email: 'a@example.com' } };
  const errorPaths = (body: unknown) => {
    const r = PlaceOrderRequest.safeParse(body);
    return r.success ? [] : r.error.issues.map((i) => i.path.join('.'));
  };

  it('when the body is valid, then it parses', () => {
    expect(PlaceOrderRequest.safeParse(valid).success).toBe(true);
    expect(PlaceOrderRequest.safeParse({ ...valid, contact: { email: 'a@example.com', phone: '+14155550123' } }).success).toBe(true);
  });

  it('when quantities, products, fields or contact are bad, then the failing paths are named', () => {
    expect(errorPaths({ ...valid, items: [{ productId: 'p-1', quantity: 0 }] })).toEqual(['items.0.quantity']);
    expect(errorPaths({ ...valid, items: [{ productId: 'p-1', quantity: 101 }] })).toEqual(['items.0.quantity']);
    expect(errorPaths({ ...valid, items: [{ productId: 'p-1', quantity: 1.5 }] })).toEqual(['items.0.quantity']);
    expect(errorPaths({ ...valid, items: [] })).toEqual(['items']);
    expect(errorPaths({ ...valid, items: [{ productId: 'p-1', quantity: 1 }, { productId: 'p-1', quantity: 1 }] })).toEqual(['items']);
    expect(errorPaths({ ...valid, items: [{ productId: 'p 1', quantity: 1 }] })).toEqual(['items.0.productId']);
    expect(errorPaths({ ...valid, total: 1 })).toEqual(['']);
    expect(errorPaths({ ...valid, contact: { email: 'nope' } })).toEqual(['contact.email']);
    expect(errorPaths({ ...valid, contact: { email: 'a@example.com', phone: '555-1234' } })).toEqual(['contact.phone']);
    expect(errorPaths({ ...valid, payment: { method: 'tok_visa' } })).toEqual(['payment.method']);
  });
});
