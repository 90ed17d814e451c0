import { describe, expect, it } from 'vitest';
import { overheads, sideTotal } from './saga.ts';

const cpu = {
  saga: { 'payment-authorize': 18.6, 'order-confirm': 14.7, postgres: 14.5, 'base-authorize': 0.1, 'saga-watchdog': 0.5 },
  baseline: { 'base-authorize': 10.4, 'base-confirm': 7.7, postgres: 14.8, 'payment-authorize': 1.1, 'saga-watchdog': 0.3 },
};

describe('the same-work comparison', () => {
  it('when a saga function and its baseline hop both ran, then its overhead is the difference, largest first', () => {
    expect(overheads(cpu)).toEqual([
      { fn: 'payment-authorize', ms: 8.2 },
      { fn: 'order-confirm', ms: 7 },
    ]);
  });

  it('when a process of one side ran during the other side’s run, then it counts for neither side but its own', () => {
    // saga: 18.6 + 14.7 + 14.5 + 0.5 (the watchdog is the saga's); baseline: 10.4 + 7.7 + 14.8
    expect(sideTotal(cpu, 'saga')).toBe(48.3);
    expect(sideTotal(cpu, 'baseline')).toBe(32.9);
  });
});
