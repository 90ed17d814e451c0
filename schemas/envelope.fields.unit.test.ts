import { describe, expect, it } from 'vitest';
import { parseEnvelope } from './envelope.ts';

const id = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';
const metadata = { eventId: id, occurredAt: '2026-11-26T10:00:00.000Z', correlationId: id, causationId: null, version: 1 };
const data = { orderId: id, paymentId: id, reason: 'payment_declined', declineCode: 'generic_decline' };

describe('parseEnvelope missing fields', () => {
  it('when a data field is missing, then it is rejected naming that field', () => {
    const { declineCode: _dropped, ...partial } = data;
    const result = parseEnvelope({ type: 'payment.failed', data: partial, metadata }, ['payment.failed']);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error).toMatch(/declineCode/);
  });

  it('when the metadata lacks its event id or carries a bad correlation uuid, then it is rejected naming the field', () => {
    const { eventId: _dropped, ...noId } = metadata;
    const missing = parseEnvelope({ type: 'payment.failed', data, metadata: noId }, ['payment.failed']);
    expect(!missing.ok && missing.error).toMatch(/eventId/);
    const badUuid = parseEnvelope({ type: 'payment.failed', data, metadata: { ...metadata, correlationId: 'order-1' } }, ['payment.failed']);
    expect(!badUuid.ok && badUuid.error).toMatch(/correlationId/);
  });
});
