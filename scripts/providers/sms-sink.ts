import { randomBytes } from 'node:crypto';
import { startJsonServer, type JsonRequest } from './json-server.ts';

/** A local SMS provider that records every message instead of sending it; `GET /v1/messages?to=` lists them. */
export function createSmsSink() {
  const messages: { id: string; to: string; body: string; receivedAt: string }[] = [];
  const byKey = new Map<string, string>();
  return (req: JsonRequest): [number, unknown] => {
    if (req.method === 'GET' && req.path === '/v1/messages') {
      const to = req.query.get('to');
      return [200, { data: messages.filter((m) => !to || m.to === to) }];
    }
    if (req.method === 'POST' && req.path === '/v1/messages') {
      const { to, body } = (req.body ?? {}) as { to?: unknown; body?: unknown };
      if (typeof to !== 'string' || typeof body !== 'string') return [400, { error: 'to and body are required' }];
      const key = req.headers['idempotency-key'];
      const known = typeof key === 'string' ? byKey.get(key) : undefined;
      if (known) return [200, { id: known }];
      const message = { id: `sms_${randomBytes(8).toString('hex')}`, to, body, receivedAt: new Date().toISOString() };
      messages.push(message);
      if (typeof key === 'string') byKey.set(key, message.id);
      return [200, { id: message.id }];
    }
    return [404, { error: `no route ${req.method} ${req.path}` }];
  };
}

/** Starts the SMS sink on 127.0.0.1:port. */
export const startSmsSink = (port: number) => startJsonServer(port, createSmsSink());
