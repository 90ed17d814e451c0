import { describe, expect, it } from 'vitest';
import { parseConfig } from './config.ts';
import { InjectedFault, parseFaults, strikes, withProviderFaults } from './faults.ts';

describe('fault injection', () => {
  it('when FAULTS is unset, then nothing is injected', () => {
    expect(parseFaults(undefined)).toEqual({ providerFailureRate: 0, providerLatencyMs: 0, crashAfterCommit: {}, hang: {} });
  });

  it('when FAULTS names an unknown function or a rate above 1, then it is refused saying what', () => {
    expect(() => parseFaults('{"hang":{"nope":1}}')).toThrow(/hang/);
    expect(() => parseFaults('{"providerFailureRate":2}')).toThrow(/providerFailureRate/);
    expect(() => parseFaults('not json')).toThrow(/not JSON/);
  });

  it('when the configuration points at real Pub/Sub, then FAULTS is refused', () => {
    expect(() => parseConfig({ FAULTS: '{}' })).toThrow(/fault injection is refused outside the local emulators/);
    expect(parseConfig({ FAULTS: '{}', PUBSUB_EMULATOR_HOST: '127.0.0.1:8085' }).FAULTS).toBe('{}');
  });

  it('when a provider failure rate strikes, then the call fails before it is made', async () => {
    let made = 0;
    const call = async () => ++made;
    const faults = parseFaults('{"providerFailureRate":0.5}');
    await expect(withProviderFaults(call, { faults, random: () => 0.4, what: 'x' })).rejects.toBeInstanceOf(InjectedFault);
    await expect(withProviderFaults(call, { faults, random: () => 0.6, what: 'x' })).resolves.toBe(1);
  });

  it('when a per-function fault has a chance, then it strikes below it and only for that function', () => {
    const table = { 'orders-api': 0.3 };
    expect(strikes(table, 'orders-api', () => 0.2)).toBe(true);
    expect(strikes(table, 'orders-api', () => 0.5)).toBe(false);
    expect(strikes(table, 'catalog-api', () => 0)).toBe(false);
  });
});
