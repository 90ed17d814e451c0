import { config } from '../config.ts';
import { createHttpPaymentProvider } from './http-provider.ts';
import type { PaymentProvider } from './provider.ts';

let instance: PaymentProvider | undefined;

/** The process-wide payment provider, configured from PAYMENT_PROVIDER_URL. */
export function paymentProvider(): PaymentProvider {
  const cfg = config();
  instance ??= createHttpPaymentProvider({ baseUrl: cfg.PAYMENT_PROVIDER_URL, timeoutMs: cfg.PAYMENT_PROVIDER_TIMEOUT_MS });
  return instance;
}

export * from './provider.ts';
