import { describe, expect, it } from 'vitest';
import { scheduledFunctions } from '../../schemas/index.ts';
import { scheduledJobs, type ScheduleOverrides } from './scheduler.ts';

const urlOf = (fn: string) => `http://fn/${fn}`;

describe('scheduledJobs', () => {
  it('when nothing is overridden, then every scheduled function of the table runs at its local interval', () => {
    expect(scheduledJobs(urlOf)).toEqual(
      scheduledFunctions().map((s) => ({ name: s.name, url: urlOf(s.name), everySeconds: s.localEverySeconds })),
    );
  });

  it('when an interval is overridden or set to null, then that job runs that often or never', () => {
    const jobs = scheduledJobs(urlOf, { 'outbox-sweep': 1, 'saga-watchdog': 1, 'saga-reconcile': null });

    expect(jobs.map((j) => [j.name, j.everySeconds])).toEqual([
      ['outbox-sweep', 1],
      ['saga-watchdog', 1],
    ]);
  });

  it('when an override names a function that is not scheduled, or is not a positive number, then it is refused', () => {
    expect(() => scheduledJobs(urlOf, { 'payment-capture': 1 } as unknown as ScheduleOverrides)).toThrow(/not a scheduled function/);
    expect(() => scheduledJobs(urlOf, { 'outbox-sweep': 0 })).toThrow(/above 0, or null for never/);
  });
});
