import { randomBytes } from 'node:crypto';

/** An answer of the simulated Stripe API: HTTP status and JSON body. */
export interface Answer {
  status: number;
  body: unknown;
}

/** Form parameters as Stripe decodes them: `metadata[orderId]=o1` nests, `allowed_payment_method_types[0]=card` lists. */
export interface Params {
  [name: string]: string | Params;
}

/** The test payment methods the simulator knows, as Stripe names them, plus three of ours for the failure paths. */
export const testPaymentMethods = {
  pm_card_visa: 'approved',
  pm_card_mastercard: 'approved',
  pm_card_chargeDeclined: 'declined (generic_decline)',
  pm_card_chargeDeclinedInsufficientFunds: 'declined (insufficient_funds)',
  pm_card_chargeDeclinedExpiredCard: 'declined (expired_card)',
  pm_card_captureFails: 'authorized; the capture is refused for good (charge_expired_for_capture) and the intent is canceled',
  pm_card_transientFailure: 'the first request under each new idempotency key answers 503; its retry succeeds',
  pm_card_refundFailsOnce: 'authorized; the first cancel and the first refund are refused, later ones under a new key succeed',
} as const;

const declines: Record<string, { code: string; decline_code: string; message: string; param?: string }> = {
  pm_card_chargeDeclined: { code: 'card_declined', decline_code: 'generic_decline', message: 'Your card was declined.' },
  pm_card_chargeDeclinedInsufficientFunds: { code: 'card_declined', decline_code: 'insufficient_funds', message: 'Your card has insufficient funds.' },
  pm_card_chargeDeclinedExpiredCard: { code: 'expired_card', decline_code: 'expired_card', message: 'Your card has expired.', param: 'exp_month' },
};

/** The refusals `pm_card_refundFailsOnce` answers once per intent: a realistic permanent error for each operation. */
const firstRefusals = {
  cancel: { type: 'invalid_request_error', code: 'processing_error', message: 'An error occurred while processing the cancellation; nothing was changed. Retry with a new idempotency key.' },
  refund: { type: 'invalid_request_error', code: 'balance_insufficient', message: 'You have insufficient funds in your Stripe account to refund this payment. Add funds to your balance, then retry.' },
};

const cancelable = ['requires_payment_method', 'requires_capture', 'requires_confirmation', 'requires_action', 'processing'];

interface StripeErrorFields {
  type: string;
  code?: string;
  decline_code?: string;
  message: string;
  param?: string;
  charge?: string;
  payment_intent?: Intent;
}

interface Intent {
  id: string;
  object: 'payment_intent';
  amount: number;
  amount_capturable: number;
  amount_received: number;
  currency: string;
  status: string;
  capture_method: string;
  confirmation_method: 'automatic';
  payment_method: string | null;
  allowed_payment_method_types: string[] | null;
  payment_method_types: string[];
  metadata: Params;
  description: string | null;
  created: number;
  canceled_at: number | null;
  cancellation_reason: string | null;
  last_payment_error: Omit<StripeErrorFields, 'payment_intent'> | null;
  latest_charge: string | null;
  client_secret: string;
  livemode: false;
}

interface Refund {
  id: string;
  object: 'refund';
  amount: number;
  currency: string;
  charge: string | null;
  payment_intent: string;
  status: 'succeeded';
  reason: string | null;
  metadata: Params;
  created: number;
}

const newId = (prefix: string) => `${prefix}_${randomBytes(12).toString('hex')}`;
// Answers are snapshots: a replayed answer must show the object as it was, not as it is now.
const ok = (body: unknown): Answer => ({ status: 200, body: structuredClone(body) });

/** A Stripe error answer, `{ error: { type, code, message, ... } }`. */
export const stripeError = (status: number, fields: StripeErrorFields): Answer => ({ status, body: structuredClone({ error: fields }) });

const invalid = (message: string, fields: { code?: string; param?: string } = {}) =>
  stripeError(400, { type: 'invalid_request_error', message, ...fields });
const missing = (kind: string, id: string, param: string, status = 404) =>
  stripeError(status, { type: 'invalid_request_error', code: 'resource_missing', message: `No such ${kind}: '${id}'`, param });
const text = (value: Params[string] | undefined) => (typeof value === 'string' ? value : undefined);
const nested = (value: Params[string] | undefined): Params => (typeof value === 'object' ? value : {});

function unknownParam(params: Params, allowed: string[]): Answer | undefined {
  const name = Object.keys(params).find((p) => !allowed.includes(p));
  return name === undefined ? undefined : invalid(`Received unknown parameter: ${name}`, { code: 'parameter_unknown', param: name });
}

/** Reads an integer parameter: `fallback` when absent (required without one), Stripe's 400 when malformed. */
function integerParam(params: Params, name: string, fallback?: number): number | Answer {
  const value = params[name];
  if (value === undefined) return fallback ?? invalid(`Missing required param: ${name}.`, { code: 'parameter_missing', param: name });
  if (typeof value !== 'string' || !/^\d+$/.test(value)) return invalid(`Invalid integer: ${String(value)}`, { code: 'parameter_invalid_integer', param: name });
  return Number(value);
}

/** One page of a Stripe list, newest first, after `starting_after`, filtered by `created[gte]`. */
function page<T extends { id: string; created: number }>(items: T[], query: Params, url: string): Answer {
  const limit = integerParam(query, 'limit', 10);
  if (typeof limit !== 'number') return limit;
  if (limit < 1 || limit > 100) return invalid('Invalid limit: must be between 1 and 100.', { param: 'limit' });
  const gte = text(nested(query.created).gte);
  const newestFirst = items.filter((item) => gte === undefined || item.created >= Number(gte)).reverse();
  const after = text(query.starting_after);
  const start = after === undefined ? 0 : newestFirst.findIndex((item) => item.id === after) + 1;
  if (after !== undefined && start === 0) return missing('object', after, 'starting_after', 400);
  return ok({ object: 'list', data: newestFirst.slice(start, start + limit), has_more: start + limit < newestFirst.length, url });
}

/**
 * The PaymentIntents and Refunds of one simulated Stripe account, with the state rules this project meets: manual
 * capture, cancel, full or partial refunds, declines by test payment method. Each operation answers as Stripe would.
 */
export function createStripeState(options: { now: () => Date }) {
  const intents = new Map<string, Intent>();
  const refunds: Refund[] = [];
  const refused = new Set<string>();
  const failedKeys = new Set<string>();
  const seconds = () => Math.floor(options.now().getTime() / 1000);

  function transientFailure(paymentMethod: string | null, key: string | undefined): Answer | undefined {
    if (paymentMethod !== 'pm_card_transientFailure' || key === undefined || failedKeys.has(key)) return undefined;
    failedKeys.add(key);
    return stripeError(503, { type: 'api_error', message: 'An unknown error occurred while processing your request. Retry it with the same idempotency key.' });
  }

  function refuseOnce(intent: Intent, operation: keyof typeof firstRefusals): Answer | undefined {
    if (intent.payment_method !== 'pm_card_refundFailsOnce' || refused.has(`${operation}:${intent.id}`)) return undefined;
    refused.add(`${operation}:${intent.id}`);
    return stripeError(400, { ...firstRefusals[operation], payment_intent: intent });
  }

  function unexpectedState(intent: Intent, action: 'captured' | 'canceled', allowed: string[]): Answer {
    const message =
      action === 'captured'
        ? `This PaymentIntent could not be captured because it has a status of ${intent.status}. Only a PaymentIntent with one of the following statuses may be captured: ${allowed.join(', ')}.`
        : `You cannot cancel this PaymentIntent because it has a status of ${intent.status}. Only a PaymentIntent with one of the following statuses may be canceled: ${allowed.join(', ')}.`;
    return stripeError(400, { type: 'invalid_request_error', code: 'payment_intent_unexpected_state', message, payment_intent: intent });
  }

  const refundedSoFar = (intentId: string) => refunds.filter((r) => r.payment_intent === intentId).reduce((sum, r) => sum + r.amount, 0);

  return {
    createIntent(params: Params, key?: string): Answer {
      const unknown = unknownParam(params, ['amount', 'currency', 'payment_method', 'allowed_payment_method_types', 'confirm', 'capture_method', 'metadata', 'description']);
      if (unknown) return unknown;
      const amount = integerParam(params, 'amount');
      if (typeof amount !== 'number') return amount;
      if (amount < 1) return invalid('Amount must be at least 1.', { code: 'amount_too_small', param: 'amount' });
      const currency = text(params.currency);
      if (currency === undefined) return invalid('Missing required param: currency.', { code: 'parameter_missing', param: 'currency' });
      if (!/^[a-z]{3}$/.test(currency)) return invalid(`Invalid currency: ${currency}. Use a lower-case three-letter ISO code.`, { param: 'currency' });
      const paymentMethod = text(params.payment_method) ?? null;
      const confirm = params.confirm === 'true';
      if (confirm && paymentMethod === null) return invalid('You must provide a payment_method to confirm this PaymentIntent.', { code: 'parameter_missing', param: 'payment_method' });
      if (paymentMethod !== null && !(paymentMethod in testPaymentMethods)) return missing('PaymentMethod', paymentMethod, 'payment_method', 400);
      const failure = transientFailure(paymentMethod, key);
      if (failure) return failure;

      const manual = params.capture_method === 'manual';
      const id = newId('pi');
      const intent: Intent = {
        id,
        object: 'payment_intent',
        amount,
        amount_capturable: 0,
        amount_received: 0,
        currency,
        status: confirm ? (manual ? 'requires_capture' : 'succeeded') : paymentMethod ? 'requires_confirmation' : 'requires_payment_method',
        capture_method: manual ? 'manual' : 'automatic',
        confirmation_method: 'automatic',
        payment_method: paymentMethod,
        allowed_payment_method_types: params.allowed_payment_method_types === undefined ? null : Object.values(nested(params.allowed_payment_method_types)).map(String),
        payment_method_types: ['card'],
        metadata: nested(params.metadata),
        description: text(params.description) ?? null,
        created: seconds(),
        canceled_at: null,
        cancellation_reason: null,
        last_payment_error: null,
        latest_charge: confirm ? newId('ch') : null,
        client_secret: `${id}_secret_${randomBytes(12).toString('hex')}`,
        livemode: false,
      };
      intents.set(id, intent);
      const decline = paymentMethod === null ? undefined : declines[paymentMethod];
      if (confirm && decline) {
        Object.assign(intent, { status: 'requires_payment_method', last_payment_error: { type: 'card_error', ...decline } });
        return stripeError(402, { type: 'card_error', ...decline, charge: intent.latest_charge ?? undefined, payment_intent: intent });
      }
      if (intent.status === 'requires_capture') intent.amount_capturable = amount;
      if (intent.status === 'succeeded') intent.amount_received = amount;
      return ok(intent);
    },

    capture(intentId: string, params: Params, key?: string): Answer {
      const intent = intents.get(intentId);
      if (!intent) return missing('payment_intent', intentId, 'intent');
      const unknown = unknownParam(params, ['amount_to_capture']);
      if (unknown) return unknown;
      const failure = transientFailure(intent.payment_method, key);
      if (failure) return failure;
      if (intent.status !== 'requires_capture') return unexpectedState(intent, 'captured', ['requires_capture']);
      if (intent.payment_method === 'pm_card_captureFails') {
        Object.assign(intent, { status: 'canceled', amount_capturable: 0, canceled_at: seconds(), cancellation_reason: 'automatic' });
        return stripeError(400, { type: 'invalid_request_error', code: 'charge_expired_for_capture', message: 'This charge cannot be captured because the charge has expired.', payment_intent: intent });
      }
      const amount = integerParam(params, 'amount_to_capture', intent.amount_capturable);
      if (typeof amount !== 'number') return amount;
      if (amount > intent.amount_capturable) {
        return invalid(`The amount to capture (${amount}) is greater than the amount capturable (${intent.amount_capturable}).`, { code: 'amount_too_large', param: 'amount_to_capture' });
      }
      Object.assign(intent, { status: 'succeeded', amount_received: amount, amount_capturable: 0 });
      return ok(intent);
    },

    cancel(intentId: string, params: Params, key?: string): Answer {
      const intent = intents.get(intentId);
      if (!intent) return missing('payment_intent', intentId, 'intent');
      const unknown = unknownParam(params, ['cancellation_reason']);
      if (unknown) return unknown;
      const failure = transientFailure(intent.payment_method, key);
      if (failure) return failure;
      if (!cancelable.includes(intent.status)) return unexpectedState(intent, 'canceled', cancelable);
      const refused = refuseOnce(intent, 'cancel');
      if (refused) return refused;
      Object.assign(intent, { status: 'canceled', amount_capturable: 0, canceled_at: seconds(), cancellation_reason: text(params.cancellation_reason) ?? null });
      return ok(intent);
    },

    retrieve(intentId: string): Answer {
      const intent = intents.get(intentId);
      return intent ? ok(intent) : missing('payment_intent', intentId, 'intent');
    },

    listIntents(query: Params): Answer {
      return unknownParam(query, ['limit', 'starting_after', 'created']) ?? page([...intents.values()], query, '/v1/payment_intents');
    },

    /** Stripe's search, for the one query form used here: `metadata['orderId']:'<id>'`. */
    searchIntents(query: Params): Answer {
      const match = /^metadata\['([^']+)'\]:'([^']*)'$/.exec(text(query.query) ?? '');
      if (!match) return invalid(`The simulator only searches metadata['<key>']:'<value>'; got: ${text(query.query) ?? ''}`, { param: 'query' });
      const data = [...intents.values()].filter((i) => i.metadata[match[1] as string] === match[2]).reverse();
      return ok({ object: 'search_result', data, has_more: false, next_page: null, url: '/v1/payment_intents/search' });
    },

    refund(params: Params, key?: string): Answer {
      const unknown = unknownParam(params, ['payment_intent', 'amount', 'reason', 'metadata']);
      if (unknown) return unknown;
      const intentId = text(params.payment_intent);
      if (intentId === undefined) return invalid('Missing required param: payment_intent.', { code: 'parameter_missing', param: 'payment_intent' });
      const intent = intents.get(intentId);
      if (!intent) return missing('payment_intent', intentId, 'payment_intent', 400);
      const failure = transientFailure(intent.payment_method, key);
      if (failure) return failure;
      if (intent.status !== 'succeeded') {
        return invalid(`This PaymentIntent (${intent.id}) does not have a successful charge to refund.`, { code: 'charge_not_refundable', param: 'payment_intent' });
      }
      const remaining = intent.amount_received - refundedSoFar(intent.id);
      if (remaining === 0) return invalid(`Charge ${intent.latest_charge} has already been refunded.`, { code: 'charge_already_refunded' });
      const amount = integerParam(params, 'amount', remaining);
      if (typeof amount !== 'number') return amount;
      if (amount > remaining) {
        return invalid(`Refund amount (${amount}) is greater than unrefunded amount on charge (${remaining})`, { code: 'amount_too_large', param: 'amount' });
      }
      const refused = refuseOnce(intent, 'refund');
      if (refused) return refused;
      const refund: Refund = {
        id: newId('re'),
        object: 'refund',
        amount,
        currency: intent.currency,
        charge: intent.latest_charge,
        payment_intent: intent.id,
        status: 'succeeded',
        reason: text(params.reason) ?? null,
        metadata: nested(params.metadata),
        created: seconds(),
      };
      refunds.push(refund);
      return ok(refund);
    },

    listRefunds(query: Params): Answer {
      const unknown = unknownParam(query, ['payment_intent', 'limit', 'starting_after', 'created']);
      if (unknown) return unknown;
      const intentId = text(query.payment_intent);
      return page(refunds.filter((r) => intentId === undefined || r.payment_intent === intentId), query, '/v1/refunds');
    },
  };
}

/** The simulated account's state and operations. */
export type StripeState = ReturnType<typeof createStripeState>;
