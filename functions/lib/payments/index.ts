import { config } from '../config.ts';
import { faults, withProviderFaults, type Faults } from '../faults.ts';
import type { PaymentProvider } from './provider.ts';
import { createStripeProvider } from './stripe-provider.ts';

let instance: PaymentProvider | undefined;

/** The process-wide payment provider: Stripe at PAYMENT_PROVIDER_URL (the local simulator in development). */
export function paymentProvider(): PaymentProvider {
  const cfg = config();
  instance ??= withFaults(
    createStripeProvider({
      baseUrl: cfg.PAYMENT_PROVIDER_URL,
      apiKey: cfg.PAYMENT_PROVIDER_API_KEY,
      timeoutMs: cfg.PAYMENT_PROVIDER_TIMEOUT_MS,
      attempts: 2,
      breaker: { consecutiveFailures: 5, halfOpenAfterMs: 10_000 },
    }),
    faults(),
  );
  return instance;
}

/** The provider with FAULTS' failure rate and latency on every call that moves money (unchanged when off). */
export function withFaults(provider: PaymentProvider, configured: Faults): PaymentProvider {
  if (configured.providerFailureRate === 0 && configured.providerLatencyMs === 0) return provider;
  const inject = <T>(what: string, call: () => Promise<T>) => withProviderFaults(call, { faults: configured, what: `payment provider ${what}` });
  return {
    name: provider.name,
    authorize: (request, options) => inject('authorize', () => provider.authorize(request, options)),
    capture: (request, options) => inject('capture', () => provider.capture(request, options)),
    void: (request, options) => inject('void', () => provider.void(request, options)),
    refund: (request, options) => inject('refund', () => provider.refund(request, options)),
    retrieve: (intentId, options) => provider.retrieve(intentId, options),
    listIntents: (options) => provider.listIntents(options),
  };
}

export * from './provider.ts';
export { createStripeProvider, type StripeProviderOptions } from './stripe-provider.ts';
