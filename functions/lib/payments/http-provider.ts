import type { Money } from '../../../schemas/index.ts';
import { TransientProviderError, type ChargeResult, type PaymentProvider } from './provider.ts';

interface ProviderError {
  error?: { type?: string; code?: string; decline_code?: string; message?: string };
}

/**
 * A PSP spoken to over a Stripe-shaped JSON API (`POST /v1/charges`, `POST /v1/refunds`, `Idempotency-Key`).
 * Locally that is the payment simulator; card errors are declines, 5xx and timeouts are transient.
 */
export function createHttpPaymentProvider(options: { baseUrl: string; timeoutMs: number; apiKey?: string }): PaymentProvider {
  async function call(path: string, idempotencyKey: string, body: unknown): Promise<{ status: number; json: unknown }> {
    let response: Response;
    try {
      response = await fetch(new URL(path, options.baseUrl), {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'Idempotency-Key': idempotencyKey,
          ...(options.apiKey ? { Authorization: `Bearer ${options.apiKey}` } : {}),
        },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(options.timeoutMs),
      });
    } catch (err) {
      throw new TransientProviderError(`payment provider unreachable: ${(err as Error).message}`, { cause: err });
    }
    const json: unknown = await response.json().catch(() => null);
    if (response.status >= 500 || response.status === 429) {
      throw new TransientProviderError(`payment provider answered ${response.status} on ${path}`);
    }
    return { status: response.status, json };
  }

  return {
    name: 'psp-http',
    async charge({ idempotencyKey, amount, token, orderId }): Promise<ChargeResult> {
      const { status, json } = await call('/v1/charges', idempotencyKey, {
        amount: amount.amount,
        currency: amount.currency.toLowerCase(),
        source: token,
        metadata: { orderId },
      });
      if (status === 200) return { status: 'succeeded', chargeId: (json as { id: string }).id };
      const error = (json as ProviderError | null)?.error;
      if (status === 402 && error?.type === 'card_error') {
        return { status: 'declined', declineCode: error.decline_code ?? error.code ?? 'card_declined' };
      }
      if (status === 400 && error?.type === 'invalid_request_error') {
        return { status: 'declined', declineCode: 'invalid_payment_token' };
      }
      throw new Error(`payment provider answered ${status} to a charge: ${JSON.stringify(json)}`);
    },
    async refund({ idempotencyKey, chargeId, amount }: { idempotencyKey: string; chargeId: string; amount: Money }) {
      const { status, json } = await call('/v1/refunds', idempotencyKey, { charge: chargeId, amount: amount.amount });
      if (status === 200) return { refundId: (json as { id: string }).id };
      throw new Error(`payment provider answered ${status} to a refund of ${chargeId}: ${JSON.stringify(json)}`);
    },
  };
}
