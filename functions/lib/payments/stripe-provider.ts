import Stripe from 'stripe';
import { createCallPolicy, DependencyUnavailable } from '../resilience.ts';
import type { AuthorizeResult, CallOptions, CaptureResult, IntentStatus, PaymentProvider, ProviderIntent, RefundResult, VoidResult } from './provider.ts';

/** Where the Stripe adapter finds Stripe and how it bounds each call. */
export interface StripeProviderOptions {
  /** Origin of the Stripe API: `https://api.stripe.com`, or the local simulator. */
  baseUrl: string;
  /** Secret key of the account (`sk_live_...`, `sk_test_...`). */
  apiKey: string;
  /** Longest one attempt may take. */
  timeoutMs: number;
  /** Attempts per call in all, each under the same idempotency key. */
  attempts: number;
  /** Consecutive transient failures that open the circuit, and how long it stays open before one trial call. */
  breaker: { consecutiveFailures: number; halfOpenAfterMs: number };
  /** First backoff between attempts (default 100 ms). */
  backoffMs?: number;
  /** Transport for the SDK instead of Node's http/https; tests hand requests to the simulator in-process. */
  httpClient?: Stripe.HttpClient;
}

const { StripeAPIError, StripeAuthenticationError, StripeCardError, StripeConnectionError, StripeError, StripeIdempotencyError, StripeInvalidRequestError, StripePermissionError, StripeRateLimitError } =
  Stripe.errors;

/** No answer, a 5xx, a 409 (idempotency key in flight, lock conflict: both `StripeAPIError`) or a 429: retry under the same key. */
const isTransient = (err: unknown) => err instanceof StripeConnectionError || err instanceof StripeAPIError || err instanceof StripeRateLimitError;

/** The code of a permanent refusal (an invalid request or a card error), undefined for anything else. */
function refusalCode(err: unknown): string | undefined {
  // The SDK sets a card error's `decline_code` to '' when Stripe sends none.
  if (err instanceof StripeCardError) return err.decline_code || err.code;
  if (err instanceof StripeInvalidRequestError) return err.code;
  return undefined;
}

/** Turns what is neither an outcome nor transient into an error that says what to fix. */
function unexpected(err: unknown, operation: string): Error {
  if (err instanceof DependencyUnavailable || !(err instanceof StripeError)) return err instanceof Error ? err : new Error(String(err));
  const fix =
    err instanceof StripeAuthenticationError
      ? 'set PAYMENT_PROVIDER_API_KEY to a valid secret key of this Stripe account'
      : err instanceof StripePermissionError
        ? 'use a secret key allowed to write PaymentIntents and Refunds'
        : err instanceof StripeIdempotencyError
          ? 'an idempotency key was reused for a different request; derive keys from the whole request'
          : 'the request does not match what Stripe accepts; check the adapter against the API reference';
  return new Error(`Stripe refused ${operation} (${err.statusCode ?? 'no status'} ${err.code ?? err.type}: ${err.message}): ${fix}`, { cause: err });
}

function endpoint(baseUrl: string) {
  const url = new URL(baseUrl);
  if (!['http:', 'https:'].includes(url.protocol) || url.pathname !== '/') {
    throw new Error(`PAYMENT_PROVIDER_URL must be an http(s) origin without a path, such as https://api.stripe.com (got ${baseUrl})`);
  }
  const protocol = url.protocol === 'http:' ? ('http' as const) : ('https' as const);
  return { host: url.hostname, port: Number(url.port || (protocol === 'https' ? 443 : 80)), protocol };
}

const idOf = (ref: string | { id: string } | null) => (typeof ref === 'string' ? ref : (ref?.id ?? null));

/** Refunded so far: refunds that succeeded or are on their way, not those that failed or were canceled. */
const refundedFor = (refunds: Stripe.Refund[], intentId: string) =>
  refunds.filter((r) => idOf(r.payment_intent) === intentId && (r.status === 'succeeded' || r.status === 'pending')).reduce((sum, r) => sum + r.amount, 0);

const toProviderIntent = (intent: Stripe.PaymentIntent, amountRefunded: number): ProviderIntent => ({
  id: intent.id,
  status: intent.status as IntentStatus,
  amount: { amount: intent.amount, currency: intent.currency.toUpperCase() },
  amountReceived: intent.amount_received,
  amountRefunded,
  orderId: intent.metadata.orderId ?? null,
  created: new Date(intent.created * 1000),
});

/**
 * The payment port on Stripe: a PaymentIntent with manual capture is authorized, captured, canceled (voided) or
 * refunded. Every call runs under a call policy (timeout per attempt, retries under the same idempotency key, circuit
 * breaker); business outcomes are results, transient failures end as DependencyUnavailable, anything else is an Error.
 */
export function createStripeProvider(options: StripeProviderOptions): PaymentProvider {
  const stripe = new Stripe(options.apiKey, {
    ...endpoint(options.baseUrl),
    maxNetworkRetries: 0,
    telemetry: false,
    timeout: options.timeoutMs,
    ...(options.httpClient ? { httpClient: options.httpClient } : {}),
  });
  const policy = createCallPolicy({ dependency: 'payment provider', timeoutMs: options.timeoutMs, attempts: options.attempts, isTransient, breaker: options.breaker, backoffMs: options.backoffMs });

  /** One Stripe request under the policy; the SDK takes no signal, so each attempt carries the same timeout instead. */
  const call = <T>(request: (settings: { timeout: number }) => Promise<T>, signal?: AbortSignal): Promise<T> =>
    policy.execute(async (attempt) => {
      const result = await request({ timeout: options.timeoutMs });
      // The policy may have given up on this attempt (its timeout, the caller's deadline): a late answer must not count.
      attempt.throwIfAborted();
      return result;
    }, signal);

  /** Every item of a Stripe list, a page per call; the SDK's auto-pagination cannot retry a failed page. */
  async function listAll<T extends { id: string }>(
    fetchPage: (startingAfter: string | undefined, settings: { timeout: number }) => Promise<{ data: T[]; has_more: boolean }>,
    signal?: AbortSignal,
  ): Promise<T[]> {
    const items: T[] = [];
    for (let more = true; more; ) {
      const page = await call((settings) => fetchPage(items.at(-1)?.id, settings), signal);
      items.push(...page.data);
      more = page.has_more;
    }
    return items;
  }

  const statusOf = async (intentId: string, signal?: AbortSignal) => (await call((settings) => stripe.paymentIntents.retrieve(intentId, {}, settings), signal)).status;

  return {
    name: 'stripe',

    async authorize({ idempotencyKey, amount, paymentMethod, orderId }, callOptions?: CallOptions): Promise<AuthorizeResult> {
      try {
        const intent = await call(
          (settings) =>
            stripe.paymentIntents.create(
              {
                amount: amount.amount,
                currency: amount.currency.toLowerCase(),
                payment_method: paymentMethod,
                confirm: true,
                capture_method: 'manual',
                metadata: { orderId },
                // Named `payment_method_types` before API version 2026-10-28 (the version stripe 23 pins).
                allowed_payment_method_types: ['card'],
              },
              { idempotencyKey, ...settings },
            ),
          callOptions?.signal,
        );
        if (intent.status === 'requires_capture') return { status: 'authorized', intentId: intent.id };
        // 3-D Secure or another step by the customer: a server-side confirmation cannot complete it.
        if (intent.status === 'requires_action') return { status: 'declined', declineCode: 'authentication_required', intentId: intent.id };
        throw new Error(`Stripe answered an authorization with intent ${intent.id} in status ${intent.status}; expected requires_capture`);
      } catch (err) {
        if (err instanceof StripeCardError) return { status: 'declined', declineCode: refusalCode(err) ?? 'card_declined', intentId: err.payment_intent?.id ?? null };
        if (err instanceof StripeInvalidRequestError && err.code === 'resource_missing' && err.param === 'payment_method') {
          return { status: 'declined', declineCode: 'invalid_payment_method', intentId: null };
        }
        throw unexpected(err, `the authorization of order ${orderId}`);
      }
    },

    async capture({ idempotencyKey, intentId, amount }, callOptions?: CallOptions): Promise<CaptureResult> {
      try {
        await call((settings) => stripe.paymentIntents.capture(intentId, { amount_to_capture: amount.amount }, { idempotencyKey, ...settings }), callOptions?.signal);
        return { status: 'captured' };
      } catch (err) {
        const code = refusalCode(err);
        if (code === undefined) throw unexpected(err, `the capture of ${intentId}`);
        if (code === 'payment_intent_unexpected_state' && (await statusOf(intentId, callOptions?.signal)) === 'succeeded') return { status: 'captured' };
        return { status: 'refused', code };
      }
    },

    async void({ idempotencyKey, intentId }, callOptions?: CallOptions): Promise<VoidResult> {
      try {
        await call((settings) => stripe.paymentIntents.cancel(intentId, {}, { idempotencyKey, ...settings }), callOptions?.signal);
        return { status: 'voided' };
      } catch (err) {
        const code = refusalCode(err);
        if (code === undefined) throw unexpected(err, `the cancellation of ${intentId}`);
        if (code === 'payment_intent_unexpected_state') {
          const status = await statusOf(intentId, callOptions?.signal);
          if (status === 'canceled') return { status: 'voided' };
          if (status === 'succeeded') return { status: 'already_captured' };
        }
        return { status: 'refused', code };
      }
    },

    async refund({ idempotencyKey, intentId, amount }, callOptions?: CallOptions): Promise<RefundResult> {
      try {
        const refund = await call((settings) => stripe.refunds.create({ payment_intent: intentId, amount: amount.amount }, { idempotencyKey, ...settings }), callOptions?.signal);
        return { status: 'refunded', refundId: refund.id };
      } catch (err) {
        const code = refusalCode(err);
        if (code === undefined) throw unexpected(err, `the refund of ${intentId}`);
        if (code === 'charge_already_refunded') {
          const refunds = await listAll((starting_after, settings) => stripe.refunds.list({ payment_intent: intentId, limit: 100, starting_after }, settings), callOptions?.signal);
          const earlier = refunds.find((r) => r.status === 'succeeded' || r.status === 'pending');
          if (earlier) return { status: 'refunded', refundId: earlier.id };
        }
        return { status: 'refused', code };
      }
    },

    async retrieve(intentId, callOptions?: CallOptions): Promise<ProviderIntent> {
      try {
        const [intent, refunds] = await Promise.all([
          call((settings) => stripe.paymentIntents.retrieve(intentId, {}, settings), callOptions?.signal),
          listAll((starting_after, settings) => stripe.refunds.list({ payment_intent: intentId, limit: 100, starting_after }, settings), callOptions?.signal),
        ]);
        return toProviderIntent(intent, refundedFor(refunds, intent.id));
      } catch (err) {
        throw unexpected(err, `retrieving ${intentId}`);
      }
    },

    async *listIntents({ createdFrom } = {}) {
      const created = createdFrom ? { gte: Math.floor(createdFrom.getTime() / 1000) } : undefined;
      try {
        // Refunds of an intent come after it, so the same `created` bound finds them all in one list.
        const [intents, refunds] = await Promise.all([
          listAll((starting_after, settings) => stripe.paymentIntents.list({ created, limit: 100, starting_after }, settings)),
          listAll((starting_after, settings) => stripe.refunds.list({ created, limit: 100, starting_after }, settings)),
        ]);
        // Stripe lists newest first.
        for (const intent of intents.reverse()) yield toProviderIntent(intent, refundedFor(refunds, intent.id));
      } catch (err) {
        throw unexpected(err, 'listing payment intents');
      }
    },
  };
}
