import { config } from '../config.ts';
import { faults, withProviderFaults } from '../faults.ts';
import { createCallPolicy } from '../resilience.ts';
import { PermanentDeliveryError } from './delivery.ts';

/** Sends a text message and resolves to the provider's message id; throws PermanentDeliveryError when refused for good. */
export type SendSms = (sms: { to: string; body: string; idempotencyKey: string }, options?: { signal?: AbortSignal }) => Promise<string>;

class TransientSmsError extends Error {}

/**
 * Creates an SMS sender for an HTTP provider (`POST /v1/messages` with an Idempotency-Key); locally that is the SMS
 * sink. A 4xx answer (but 429) is a refusal for good; timeouts, 5xx and 429 are retried once, then left to Pub/Sub.
 */
export function createHttpSmsSender(options: { baseUrl: string; timeoutMs: number; apiKey?: string }): SendSms {
  const policy = createCallPolicy({
    dependency: 'SMS provider',
    timeoutMs: options.timeoutMs,
    attempts: 2,
    isTransient: (err) => !(err instanceof PermanentDeliveryError),
    breaker: { consecutiveFailures: 5, halfOpenAfterMs: 10_000 },
  });
  return ({ to, body, idempotencyKey }, callOptions) =>
    policy.execute(async (signal) => {
      const response = await fetch(new URL('/v1/messages', options.baseUrl), {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Idempotency-Key': idempotencyKey, ...(options.apiKey ? { Authorization: `Bearer ${options.apiKey}` } : {}) },
        body: JSON.stringify({ to, body }),
        signal,
      });
      if (response.status >= 400 && response.status < 500 && response.status !== 429) {
        throw new PermanentDeliveryError(`the SMS provider refused the message (${response.status}): ${await response.text()}`);
      }
      if (!response.ok) throw new TransientSmsError(`SMS provider answered ${response.status}`);
      return ((await response.json()) as { id: string }).id;
    }, callOptions?.signal);
}

let instance: SendSms | undefined;

/** The process-wide SMS sender, configured from SMS_PROVIDER_URL, SMS_PROVIDER_API_KEY and SMS_TIMEOUT_MS (and FAULTS locally). */
export const sendSms: SendSms = (sms, options) => {
  const cfg = config();
  instance ??= createHttpSmsSender({ baseUrl: cfg.SMS_PROVIDER_URL, timeoutMs: cfg.SMS_TIMEOUT_MS, ...(cfg.SMS_PROVIDER_API_KEY ? { apiKey: cfg.SMS_PROVIDER_API_KEY } : {}) });
  return withProviderFaults(() => instance!(sms, options), { faults: faults(), what: 'SMS' });
};
