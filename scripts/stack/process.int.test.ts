import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { freePort, listening, readPidFile, restarted, startService, waitFor, type Service, type ServiceExit } from './process.ts';

const dir = mkdtempSync(join(tmpdir(), 'saga-process-test-'));
const pidDir = join(dir, 'run');
const started: Service[] = [];

/** A node child running `script`, recorded in `pidDir`. */
function child(name: string, script: string, options: { restart?: boolean; onExit?: (exit: ServiceExit) => void } = {}) {
  const service = startService({
    name,
    command: process.execPath,
    args: ['-e', script],
    logFile: join(dir, `${name}.log`),
    pidDir,
    ...options,
  });
  started.push(service);
  return service;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function until(what: string, check: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const FOREVER = 'setInterval(() => {}, 1000); console.log("up");';

afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.stop()));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('supervised service', () => {
  it('when a ready child is killed with SIGKILL, then it comes back with a new pid, recorded and logged', async () => {
    const exits: ServiceExit[] = [];
    const service = child('victim', FOREVER, { restart: true, onExit: (e) => exits.push(e) });
    service.markReady();
    const first = service.child.pid!;
    expect(readPidFile(pidDir, 'victim')).toBe(first);

    process.kill(first, 'SIGKILL');

    await until('the restart', () => readPidFile(pidDir, 'victim') !== null && readPidFile(pidDir, 'victim') !== first);
    const second = readPidFile(pidDir, 'victim')!;
    expect(service.child.pid).toBe(second);
    expect(alive(second)).toBe(true);
    expect(exits).toEqual([expect.objectContaining({ name: 'victim', code: null, signal: 'SIGKILL', restartInMs: 500 })]);
    // The log is written through a stream: its lines land a moment after the pid file.
    const log = () => readFileSync(join(dir, 'victim.log'), 'utf8');
    await until('the restart logged', () => log().includes(`started again as pid ${second}`));
    expect(log()).toContain('victim exited (signal SIGKILL); restarting in 0.5 s');
  });

  it('when a listening child is killed, then restarted() resolves to its new pid once it accepts connections again', async () => {
    const port = await freePort();
    const service = child('server', `require('node:net').createServer(() => {}).listen(${port}, '127.0.0.1');`, { restart: true });
    await waitFor('server', () => listening(port), { timeoutMs: 5000, hint: '', service });
    const before = service.child.pid!;

    process.kill(before, 'SIGKILL');
    const after = await restarted({ pidDir, name: 'server', previousPid: before, port });

    expect(after).not.toBe(before);
    expect(after).toBe(service.child.pid);
    expect(await listening(port)).toBe(true);
  });

  it('when a child does not come back in time, then restarted() says where to look', async () => {
    const service = child('gone', FOREVER);
    service.markReady();
    const pid = service.child.pid!;
    process.kill(pid, 'SIGKILL');

    await expect(restarted({ pidDir, name: 'gone', previousPid: pid, port: await freePort(), timeoutMs: 300 })).rejects.toThrow(
      'gone did not come back within 0.3 s',
    );
  });

  it('when it keeps crashing, then the delay doubles', async () => {
    const exits: ServiceExit[] = [];
    const service = child('crasher', 'setTimeout(() => process.exit(1), 30);', { restart: true, onExit: (e) => exits.push(e) });
    service.markReady();

    await until('three exits', () => exits.length >= 3, 6000);

    expect(exits.slice(0, 3).map((e) => [e.code, e.restartInMs])).toEqual([
      [1, 500],
      [1, 1000],
      [1, 2000],
    ]);
  });

  it('when stop() comes during the backoff, then no process is started again', async () => {
    const exits: ServiceExit[] = [];
    const service = child('stopped-in-backoff', FOREVER, { restart: true, onExit: (e) => exits.push(e) });
    service.markReady();
    const pid = service.child.pid!;
    process.kill(pid, 'SIGKILL');
    await until('the exit', () => exits.length === 1);

    await service.stop();
    await sleep(900);

    expect(service.child.pid).toBe(pid);
    expect(readPidFile(pidDir, 'stopped-in-backoff')).toBeNull();
    expect(exits).toHaveLength(1);
  });

  it('when stop() is called on a running child, then it ends and is not restarted', async () => {
    const exits: ServiceExit[] = [];
    const service = child('stopped', FOREVER, { restart: true, onExit: (e) => exits.push(e) });
    service.markReady();
    const pid = service.child.pid!;

    await service.stop();
    await sleep(700);

    expect(alive(pid)).toBe(false);
    expect(service.child.pid).toBe(pid);
    expect(exits).toEqual([]);
  });

  it('when a child exits before it is ready, then waitFor fails at once and nothing restarts it', async () => {
    const exits: ServiceExit[] = [];
    const service = child('broken', 'process.exit(3)', { restart: true, onExit: (e) => exits.push(e) });
    const before = performance.now();

    await expect(waitFor('broken', async () => false, { timeoutMs: 20_000, hint: 'See its log.', service })).rejects.toThrow(
      'broken exited (code 3) before it was ready. See its log.',
    );

    expect(performance.now() - before).toBeLessThan(3000);
    await sleep(700);
    expect(exits).toEqual([]);
    expect(readPidFile(pidDir, 'broken')).toBeNull();
  });

  it('when a child is killed by a signal before it is ready, then waitFor says which signal', async () => {
    const service = child('signalled', FOREVER, { restart: true });
    setTimeout(() => process.kill(service.child.pid!, 'SIGKILL'), 100);

    await expect(waitFor('signalled', async () => false, { timeoutMs: 20_000, hint: 'See its log.', service })).rejects.toThrow(
      'signalled exited (signal SIGKILL) before it was ready',
    );
  });

  it('when waitFor sees it ready, then supervision is armed', async () => {
    const exits: ServiceExit[] = [];
    const service = child('armed', FOREVER, { restart: true, onExit: (e) => exits.push(e) });
    await waitFor('armed', async () => true, { timeoutMs: 5000, hint: '', service });
    const pid = service.child.pid!;

    process.kill(pid, 'SIGKILL');

    await until('the restart', () => service.child.pid !== pid && service.exit === null);
    expect(exits).toHaveLength(1);
  });

  it('when an unsupervised child exits, then the caller hears of it and it stays down', async () => {
    const exits: ServiceExit[] = [];
    const service = child('emulator-like', FOREVER, { onExit: (e) => exits.push(e) });
    service.markReady();
    const pid = service.child.pid!;

    process.kill(pid, 'SIGKILL');
    await until('the exit', () => exits.length === 1);
    await sleep(700);

    expect(exits[0]).toMatchObject({ signal: 'SIGKILL', restartInMs: null });
    expect(service.child.pid).toBe(pid);
    expect(service.exit).toEqual({ code: null, signal: 'SIGKILL' });
  });
});
