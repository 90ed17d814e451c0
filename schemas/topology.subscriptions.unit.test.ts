import { describe, expect, it } from 'vitest';
import { functionNames, functions, subscriptions, type FunctionSpec } from './topology.ts';

describe('subscriptions()', () => {
  it('when derived, then each function gets exactly one subscription per consumed type and HTTP functions get none', () => {
    const expected = functionNames.flatMap((fn) => {
      const spec: FunctionSpec = functions[fn];
      return spec.trigger === 'topic' ? spec.consumes.map((topic) => `${fn}|${topic}|dead-letter.${fn}`) : [];
    });
    const actual = subscriptions().map((s) => `${s.function}|${s.topic}|${s.deadLetterTopic}`);
    expect(actual.sort()).toEqual(expected.sort());
    expect(subscriptions().some((s) => s.function === 'orders-api' || s.function === 'catalog-api')).toBe(false);
  });
});
