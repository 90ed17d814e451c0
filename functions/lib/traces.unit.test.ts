import { describe, expect, it } from 'vitest';
import { googleHeaders } from './telemetry.ts';
import { fromCloudTrace } from './traces.ts';

describe('Cloud Trace and Google telemetry', () => {
  it('when Cloud Trace answers a span, then it reads as the API’s span: hex ids, its service, its time, its error', () => {
    const span = fromCloudTrace('0af7651916cd43dd8448eb211c80319c', {
      spanId: '12345678901234567890',
      parentSpanId: '42',
      name: 'payment-capture process inventory.reserved',
      kind: 'RPC_SERVER',
      startTime: '2026-11-27T10:00:00.000Z',
      endTime: '2026-11-27T10:00:00.250Z',
      labels: { 'g.co/r/cloud_run_revision/service_name': 'payment-capture', '/error/message': 'provider timed out' },
    });
    expect(span).toMatchObject({
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'ab54a98ceb1f0ad2',
      parentSpanId: '000000000000002a',
      kind: 'server',
      service: 'payment-capture',
      startedAt: '2026-11-27T10:00:00.000Z',
      ms: 250,
      error: 'provider timed out',
    });
  });

  it('when spans go to Google, then the request carries the runtime account’s authorization and the quota project', async () => {
    const headers = await googleHeaders('shop-prod', { getRequestHeaders: async () => new Headers({ authorization: 'Bearer ya29.token' }) })();
    expect(headers).toEqual({ authorization: 'Bearer ya29.token', 'x-goog-user-project': 'shop-prod' });
  });
});
