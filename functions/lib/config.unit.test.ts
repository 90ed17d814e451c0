import { describe, expect, it } from 'vitest';
import { parseConfig } from './config.ts';

describe('parseConfig', () => {
  it('when nothing is set, then local defaults apply and the result is frozen', () => {
    const cfg = parseConfig({});
    expect(cfg).toMatchObject({ GOOGLE_CLOUD_PROJECT: 'saga-commerce-local', DB_POOL_MAX: 5, DB_IAM_AUTH: true, HANDLER_TIMEOUT_MS: 20_000 });
    expect(Object.isFrozen(cfg)).toBe(true);
  });

  it('when values are given, then they are coerced to their types', () => {
    expect(parseConfig({ DB_POOL_MAX: '12', DB_IAM_AUTH: 'false' })).toMatchObject({ DB_POOL_MAX: 12, DB_IAM_AUTH: false });
  });

  it('when a value is bad, then the error names the variable', () => {
    expect(() => parseConfig({ DB_POOL_MAX: 'many' })).toThrow(/DB_POOL_MAX/);
    expect(() => parseConfig({ LOG_LEVEL: 'loud' })).toThrow(/LOG_LEVEL/);
  });
});
