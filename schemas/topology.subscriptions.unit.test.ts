import { describe, expect, it } from 'vitest';
import { functionNames, functions, stepFunctions, subscriptions, type FunctionSpec } from './topology.ts';

describe('subscriptions()', () => {
  it('when derived, then each step gets one subscription per consumed type, the recorder one per dead-letter topic, and no other function any', () => {
    const expected = functionNames.flatMap((fn) => {
      const spec: FunctionSpec = functions[fn];
      if (spec.trigger === 'topic') return spec.consumes.map((topic) => `${fn}|${topic}|dead-letter.${fn}`);
      if (spec.trigger === 'dead-letters') return stepFunctions().map((step) => `${fn}|dead-letter.${step}|none`);
      return [];
    });
    const actual = subscriptions().map((s) => `${s.function}|${s.topic}|${s.deadLetterTopic ?? 'none'}`);
    expect(actual.sort()).toEqual(expected.sort());
    expect(subscriptions().some((s) => ['orders-api', 'catalog-api', 'admin-api', 'outbox-sweep', 'saga-watchdog'].includes(s.function))).toBe(false);
  });
});
