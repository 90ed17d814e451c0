import { describe, expect, it } from 'vitest';
import { createCallPolicy, DependencyUnavailable, isDependencyOutage, withDeadline } from './resilience.ts';

class Flaky extends Error {}
const policy = (over: Partial<Parameters<typeof createCallPolicy>[0]> = {}) =>
  createCallPolicy({ dependency: 'test', timeoutMs: 50, attempts: 2, isTransient: (e) => e instanceof Flaky, breaker: { consecutiveFailures: 3, halfOpenAfterMs: 60_000 }, backoffMs: 1, ...over });

describe('createCallPolicy', () => {
  it('when a call fails transiently once, then it is retried and succeeds', async () => {
    let calls = 0;
    await expect(policy().execute(async () => (++calls === 1 ? Promise.reject(new Flaky()) : 'ok'))).resolves.toBe('ok');
    expect(calls).toBe(2);
  });

  it('when an answer is not transient, then it passes through untouched and is not retried', async () => {
    let calls = 0;
    const refusal = new Error('declined');
    await expect(policy().execute(async () => { calls++; throw refusal; })).rejects.toBe(refusal);
    expect(calls).toBe(1);
  });

  it('when a call outlives its timeout, then its signal aborts and DependencyUnavailable says so', async () => {
    let aborted = false;
    const slow = policy({ attempts: 1 }).execute((signal) => new Promise((r) => { signal.addEventListener('abort', () => (aborted = true)); setTimeout(r, 200); }));
    await expect(slow).rejects.toThrow(/no answer within 50 ms/);
    expect(aborted).toBe(true);
  });

  it('when the dependency keeps failing, then the circuit opens and later calls fail fast without being made', async () => {
    const p = policy({ attempts: 1 });
    for (let i = 0; i < 3; i++) await expect(p.execute(async () => { throw new Flaky(); })).rejects.toBeInstanceOf(DependencyUnavailable);
    let made = false;
    await expect(p.execute(async () => { made = true; })).rejects.toThrow(/circuit open/);
    expect(made).toBe(false);
  });
});

describe('isDependencyOutage', () => {
  it('when a database or gRPC service is down or slow, then it is an outage; a constraint violation is not', () => {
    expect(isDependencyOutage(new DependencyUnavailable('x', 'y'))).toBe(true);
    expect(isDependencyOutage(Object.assign(new Error('Knex: Timeout acquiring a connection'), { name: 'KnexTimeoutError' }))).toBe(true);
    expect(isDependencyOutage(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isDependencyOutage(Object.assign(new Error('14 UNAVAILABLE'), { code: 14 }))).toBe(true);
    expect(isDependencyOutage(Object.assign(new Error('duplicate key'), { code: '23505' }))).toBe(false);
    expect(isDependencyOutage(new Error('bug'))).toBe(false);
  });
});

describe('withDeadline', () => {
  it('when work is slower than the deadline, then it rejects as unavailable', async () => {
    await expect(withDeadline(new Promise((r) => setTimeout(r, 100)), 10, 'Firestore')).rejects.toThrow(/Firestore: no answer within 10 ms/);
    await expect(withDeadline(Promise.resolve(3), 10, 'Firestore')).resolves.toBe(3);
  });
});
