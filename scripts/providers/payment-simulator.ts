import { randomBytes } from 'node:crypto';
import { startJsonServer, type JsonRequest } from './json-server.ts';

/**
 * Test tokens, as Stripe names them, plus one that fails transiently: the first attempt of each idempotency key
 * answers 503, the next one succeeds.
 */
export const testTokens = {
  approved: 'tok_visa',
  declined: 'tok_chargeDeclined',
  insufficientFunds: 'tok_chargeDeclinedInsufficientFunds',
  transientFailure: 'tok_transientFailure',
} as const;

interface Charge {
  id: string;
  amount: number;
  currency: string;
  status: 'succeeded';
  refunded: boolean;
  metadata: Record<string, string>;
  attempts: number;
}

const id = (prefix: string) => `${prefix}_${randomBytes(12).toString('hex')}`;
const cardError = (code: string, decline_code: string): [number, unknown] => [
  402,
  { error: { type: 'card_error', code, decline_code, message: 'Your card was declined.' } },
];

/**
 * A local payment service provider that behaves like Stripe where this project relies on it: idempotency keys replay
 * the first answer, declines are 402 card errors, and charges and refunds can be listed for checking the books.
 */
export function createPaymentSimulator() {
  const answers = new Map<string, [number, unknown]>();
  const attempts = new Map<string, number>();
  const charges = new Map<string, Charge>();
  const refunds: { id: string; charge: string; amount: number; status: 'succeeded' }[] = [];

  function charge(body: { amount?: unknown; currency?: unknown; source?: unknown; metadata?: Record<string, string> }, key: string): [number, unknown] {
    if (!Number.isInteger(body.amount) || (body.amount as number) <= 0 || typeof body.currency !== 'string') {
      return [400, { error: { type: 'invalid_request_error', code: 'parameter_invalid', message: 'amount and currency are required' } }];
    }
    switch (body.source) {
      case testTokens.approved:
        break;
      case testTokens.declined:
        return cardError('card_declined', 'generic_decline');
      case testTokens.insufficientFunds:
        return cardError('card_declined', 'insufficient_funds');
      case testTokens.transientFailure: {
        const seen = (attempts.get(key) ?? 0) + 1;
        attempts.set(key, seen);
        if (seen === 1) return [503, { error: { type: 'api_error', message: 'Temporary failure, retry with the same idempotency key.' } }];
        break;
      }
      default:
        return [400, { error: { type: 'invalid_request_error', code: 'resource_missing', message: `No such token: ${String(body.source)}` } }];
    }
    const created: Charge = {
      id: id('ch'),
      amount: body.amount as number,
      currency: body.currency,
      status: 'succeeded',
      refunded: false,
      metadata: body.metadata ?? {},
      attempts: attempts.get(key) ?? 1,
    };
    charges.set(created.id, created);
    return [200, created];
  }

  function refund(body: { charge?: unknown; amount?: unknown }): [number, unknown] {
    const target = charges.get(String(body.charge));
    if (!target) return [404, { error: { type: 'invalid_request_error', code: 'resource_missing', message: 'No such charge' } }];
    if (target.refunded) return [400, { error: { type: 'invalid_request_error', code: 'charge_already_refunded' } }];
    target.refunded = true;
    const created = { id: id('re'), charge: target.id, amount: (body.amount as number) ?? target.amount, status: 'succeeded' as const };
    refunds.push(created);
    return [200, created];
  }

  return (req: JsonRequest): [number, unknown] => {
    if (req.method === 'GET' && req.path === '/v1/charges') {
      const orderId = req.query.get('orderId');
      return [200, { data: [...charges.values()].filter((c) => !orderId || c.metadata.orderId === orderId) }];
    }
    if (req.method === 'GET' && req.path === '/v1/refunds') {
      const chargeId = req.query.get('charge');
      return [200, { data: refunds.filter((r) => !chargeId || r.charge === chargeId) }];
    }
    if (req.method !== 'POST' || (req.path !== '/v1/charges' && req.path !== '/v1/refunds')) {
      return [404, { error: { type: 'invalid_request_error', message: `Unrecognized request URL (${req.method}: ${req.path})` } }];
    }
    const key = String(req.headers['idempotency-key'] ?? '');
    const remembered = key && answers.get(`${req.path}:${key}`);
    if (remembered) return remembered;
    const answer = req.path === '/v1/charges' ? charge((req.body ?? {}) as never, key) : refund((req.body ?? {}) as never);
    // Like Stripe, a 5xx is not remembered: the retry with the same key runs again.
    if (key && answer[0] < 500) answers.set(`${req.path}:${key}`, answer);
    return answer;
  };
}

/** Starts the payment simulator on 127.0.0.1:port. */
export const startPaymentSimulator = (port: number) => startJsonServer(port, createPaymentSimulator());
