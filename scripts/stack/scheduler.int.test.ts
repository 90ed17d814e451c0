import http from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort, serveOnLoopback } from './process.ts';
import { startScheduler } from './scheduler.ts';

interface Received {
  at: number;
  method: string;
  path: string;
  contentType: string | undefined;
  body: string;
}

/** An HTTP target that records each call, answers after `delayMs` with `status`, and counts calls in flight. */
async function startTarget() {
  const calls: Received[] = [];
  const behaviour = { delayMs: 0, status: 200 };
  let inFlight = 0;
  let maxInFlight = 0;
  const server = http.createServer(async (req, res) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    let body = '';
    for await (const chunk of req) body += chunk;
    calls.push({ at: performance.now(), method: req.method!, path: req.url!, contentType: req.headers['content-type'], body });
    await new Promise((r) => setTimeout(r, behaviour.delayMs));
    inFlight--;
    if (!res.destroyed) res.writeHead(behaviour.status, { 'Content-Type': 'text/plain' }).end(behaviour.status === 200 ? 'ok' : 'boom');
  });
  const served = await serveOnLoopback(server, 0);
  return {
    ...served,
    calls,
    behaviour,
    maxInFlight: () => maxInFlight,
    reset() {
      calls.length = 0;
      maxInFlight = 0;
      Object.assign(behaviour, { delayMs: 0, status: 200 });
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('local scheduler', () => {
  const dir = mkdtempSync(join(tmpdir(), 'saga-scheduler-test-'));
  let target: Awaited<ReturnType<typeof startTarget>>;
  let stop: (() => Promise<void>) | undefined;
  const logFile = (name: string) => join(dir, `${name}.log`);

  beforeAll(async () => {
    target = await startTarget();
  });
  afterEach(async () => {
    await stop?.();
    stop = undefined;
    target.reset();
  });
  afterAll(async () => {
    await target.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('when a job is due, then it is called like Cloud Scheduler at its interval', async () => {
    const started = performance.now();
    const scheduler = startScheduler({ jobs: [{ name: 'sweep', url: `${target.url}/`, everySeconds: 0.2 }], logFile: logFile('interval') });
    stop = scheduler.stop;

    // The k-th tick is never before k intervals from the start; a loaded machine may make it later, so wait for four.
    while (target.calls.length < 4) await sleep(50);
    await scheduler.stop();

    target.calls.forEach((c, i) => expect(c.at - started, `tick ${i + 1}`).toBeGreaterThanOrEqual((i + 1) * 200 - 10));
    expect(target.calls[0]).toMatchObject({ method: 'POST', path: '/', contentType: 'application/json', body: '{}' });
  });

  it('when a call takes longer than the interval, then the next ticks are skipped, never overlapping', async () => {
    target.behaviour.delayMs = 450;
    const scheduler = startScheduler({ jobs: [{ name: 'slow', url: `${target.url}/`, everySeconds: 0.1 }], logFile: logFile('overlap') });
    stop = scheduler.stop;

    await sleep(1500);
    await scheduler.stop();

    expect(target.maxInFlight()).toBe(1);
    expect(target.calls.length).toBeGreaterThanOrEqual(2);
    expect(target.calls.length).toBeLessThanOrEqual(4);
    expect(readFileSync(logFile('overlap'), 'utf8')).toContain('slow skipped a tick: the previous call is still running');
  });

  it('when calls fail, time out or find nobody, then each is logged and the scheduler goes on', async () => {
    target.behaviour.status = 500;
    const calls: { name: string; ok: boolean }[] = [];
    const scheduler = startScheduler({
      jobs: [
        { name: 'failing', url: `${target.url}/`, everySeconds: 0.2 },
        { name: 'nobody', url: `http://127.0.0.1:${await freePort()}/`, everySeconds: 0.2 },
      ],
      logFile: logFile('failures'),
      timeoutMs: 150,
      onCall: (c) => calls.push(c),
    });
    stop = scheduler.stop;

    await sleep(700);
    target.behaviour.status = 200;
    target.behaviour.delayMs = 400;
    await sleep(900);
    await scheduler.stop();

    const log = readFileSync(logFile('failures'), 'utf8');
    expect(log).toContain('failing answered 500: boom');
    expect(log).toContain('nobody failed: fetch failed (ECONNREFUSED)');
    expect(log).toContain('failing no answer within 150 ms');
    expect(calls.filter((c) => c.name === 'failing').length).toBeGreaterThanOrEqual(4);
  });

  it('when the scheduler is stopped, then no call follows and a running one is abandoned', async () => {
    target.behaviour.delayMs = 2000;
    const scheduler = startScheduler({ jobs: [{ name: 'stopped', url: `${target.url}/`, everySeconds: 0.1 }], logFile: logFile('stop') });
    await sleep(250);
    const before = performance.now();

    await scheduler.stop();

    expect(performance.now() - before).toBeLessThan(500);
    const count = target.calls.length;
    await sleep(400);
    expect(target.calls.length).toBe(count);
    expect(readFileSync(logFile('stop'), 'utf8')).toContain('scheduler stopped');
  });
});
