import { config } from '../config.ts';

/** Sends a text message and resolves to the provider's message id. */
export type SendSms = (sms: { to: string; body: string; idempotencyKey: string }) => Promise<string>;

/** Creates an SMS sender for an HTTP provider (`POST /v1/messages`); locally that is the SMS sink. */
export function createHttpSmsSender(options: { baseUrl: string; timeoutMs: number }): SendSms {
  return async ({ to, body, idempotencyKey }) => {
    const response = await fetch(new URL('/v1/messages', options.baseUrl), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Idempotency-Key': idempotencyKey },
      body: JSON.stringify({ to, body }),
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    if (!response.ok) throw new Error(`SMS provider answered ${response.status}`);
    return ((await response.json()) as { id: string }).id;
  };
}

let instance: SendSms | undefined;

/** The process-wide SMS sender, configured from SMS_PROVIDER_URL. */
export const sendSms: SendSms = (sms) => {
  instance ??= createHttpSmsSender({ baseUrl: config().SMS_PROVIDER_URL, timeoutMs: 5000 });
  return instance(sms);
};
