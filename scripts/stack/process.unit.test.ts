import { describe, expect, it } from 'vitest';
import { describeExit, nextRestartDelay, RESTART_FIRST_MS, RESTART_MAX_MS, RESTART_RESET_AFTER_MS } from './process.ts';

describe('nextRestartDelay', () => {
  it('when a process crashes again and again, then the delay doubles from 0.5 s up to 30 s', () => {
    const delays: number[] = [];
    let previous: number | null = null;
    for (let i = 0; i < 9; i++) delays.push((previous = nextRestartDelay(previous, 100)));

    expect(delays).toEqual([500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000]);
  });

  it('when the process had run for a minute, then the backoff starts over', () => {
    expect(nextRestartDelay(RESTART_MAX_MS, RESTART_RESET_AFTER_MS)).toBe(RESTART_FIRST_MS);
    expect(nextRestartDelay(RESTART_MAX_MS, RESTART_RESET_AFTER_MS - 1)).toBe(RESTART_MAX_MS);
  });
});

describe('describeExit', () => {
  it('when a supervised process was killed, then the line names the signal and the delay', () => {
    expect(describeExit({ name: 'payment-capture', code: null, signal: 'SIGKILL', uptimeMs: 10, restartInMs: 500 })).toBe(
      'payment-capture exited (signal SIGKILL); restarting in 0.5 s',
    );
  });

  it('when an unsupervised process exited, then the line names the code only', () => {
    expect(describeExit({ name: 'pubsub-emulator', code: 1, signal: null, uptimeMs: 10, restartInMs: null })).toBe('pubsub-emulator exited (code 1)');
  });
});
