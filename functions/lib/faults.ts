import { z } from 'zod';
import { functionNames } from '../../schemas/index.ts';
import { config } from './config.ts';

const Probability = z.number().min(0).max(1);

/**
 * Fault injection, off unless `FAULTS` is set (and refused by the configuration outside the local emulators):
 * - `providerFailureRate` / `providerLatencyMs`: calls to the payment provider, SMTP and SMS fail transiently at this
 *   rate, or wait this long first;
 * - `crashAfterCommit`: per HTTP function or job, the chance that the process exits right after committing an outbox
 *   row and before the relay publishes it;
 * - `hang`: per saga step, the chance that a delivery hangs past its deadline instead of running.
 */
export const Faults = z.strictObject({
  providerFailureRate: Probability.default(0),
  providerLatencyMs: z.number().int().min(0).default(0),
  crashAfterCommit: z.partialRecord(z.enum(functionNames), Probability).default({}),
  hang: z.partialRecord(z.enum(functionNames), Probability).default({}),
});
export type Faults = z.infer<typeof Faults>;

/** Parses the FAULTS value; throws naming what is wrong. */
export function parseFaults(text: string | undefined): Faults {
  if (!text) return Faults.parse({});
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error('FAULTS is not JSON; see docs/reliability.md for its shape');
  }
  const result = Faults.safeParse(json);
  if (!result.success) throw new Error(`FAULTS is not valid:\n${z.prettifyError(result.error)}`);
  return result.data;
}

let cached: Faults | undefined;

/** The faults this process injects (none unless FAULTS is set). */
export function faults(): Faults {
  cached ??= parseFaults(config().FAULTS);
  return cached;
}

/** Thrown by an injected provider failure; callers treat it as a transient provider error. */
export class InjectedFault extends Error {}

/** Wraps a call with the configured provider failure rate and latency. */
export async function withProviderFaults<T>(call: () => Promise<T>, options: { faults: Faults; random?: () => number; what: string }): Promise<T> {
  const { providerFailureRate, providerLatencyMs } = options.faults;
  if (providerLatencyMs > 0) await new Promise((r) => setTimeout(r, providerLatencyMs));
  if (providerFailureRate > 0 && (options.random ?? Math.random)() < providerFailureRate) {
    throw new InjectedFault(`injected failure of ${options.what} (FAULTS.providerFailureRate)`);
  }
  return call();
}

/** True when this delivery or commit should meet the fault configured for `fn` in `table`. */
export const strikes = (table: Partial<Record<string, number>>, fn: string, random: () => number = Math.random) =>
  (table[fn] ?? 0) > 0 && random() < table[fn]!;
