import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type http from 'node:http';
import net from 'node:net';
import { createInterface } from 'node:readline';

/** How a process ended on its own, and whether (and when) it is started again. */
export interface ServiceExit {
  name: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** How long the process had run. */
  uptimeMs: number;
  /** Delay before the next start; null when the service is not supervised. */
  restartInMs: number | null;
}

/**
 * A child process started in its own process group, so stopping it also stops what it started (gcloud → java).
 * A supervised service is a new process after each restart: `child` is always the latest one.
 */
export interface Service {
  name: string;
  readonly child: ChildProcess;
  /** How the latest process ended; null while it runs. */
  readonly exit: { code: number | null; signal: NodeJS.Signals | null } | null;
  /** Says the service is up, which arms its supervision: an exit before this is a failed start, not a crash. */
  markReady(): void;
  /** Stops the process group for good: no restart follows, also when one is pending. */
  stop(): Promise<void>;
}

/** The first delay before a supervised service is started again; each further crash doubles it. */
export const RESTART_FIRST_MS = 500;
/** The longest delay between restarts. */
export const RESTART_MAX_MS = 30_000;
/** A process that ran this long before it exited starts the backoff over. */
export const RESTART_RESET_AFTER_MS = 60_000;

/** The delay before the next start, given the previous delay (null at first) and how long the process ran. */
export function nextRestartDelay(previousMs: number | null, uptimeMs: number): number {
  if (previousMs === null || uptimeMs >= RESTART_RESET_AFTER_MS) return RESTART_FIRST_MS;
  return Math.min(previousMs * 2, RESTART_MAX_MS);
}

/** "exited (code 1)" / "exited (signal SIGKILL)", and what happens next. */
export function describeExit(exit: ServiceExit): string {
  const how = exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`;
  const next = exit.restartInMs === null ? '' : `; restarting in ${(exit.restartInMs / 1000).toFixed(1)} s`;
  return `${exit.name} exited (${how})${next}`;
}

/** The pid a service recorded in `pidDir`, or null while it has none (stopped, or waiting to restart). */
export function readPidFile(pidDir: string, name: string): number | null {
  const file = join(pidDir, `${name}.pid`);
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { pid: number }).pid;
  } catch {
    return null;
  }
}

/**
 * Resolves to the new pid once a supervised service recorded in `pidDir` runs under a pid other than `previousPid`
 * and accepts connections on `port` (a killed function is back); fails after `timeoutMs` saying where to look.
 */
export async function restarted(options: { pidDir: string; name: string; previousPid: number; port: number; timeoutMs?: number }): Promise<number> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pid = readPidFile(options.pidDir, options.name);
    if (pid !== null && pid !== options.previousPid && (await listening(options.port))) return pid;
    if (Date.now() > deadline) {
      throw new Error(
        `${options.name} did not come back within ${timeoutMs / 1000} s (pid file says ${pid ?? 'nothing'}, was ${options.previousPid}); ` +
          `see the [supervisor] lines in its log`,
      );
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Starts a command in its own process group, writing its output to `logFile` and handing each line to `onLine`.
 * With `restart`, a process that exits after `markReady()` while not being stopped is started again with exponential
 * backoff; `onExit` hears of every such exit, supervised or not.
 */
export function startService(options: {
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  logFile: string;
  /** Records the process group here, so a later start can stop what a killed run left behind. */
  pidDir?: string;
  onLine?: (line: string) => void;
  /** Start the process again when it exits on its own after it was ready. */
  restart?: boolean;
  /** Told when the process exits on its own after it was ready (not when stopped, not before ready). */
  onExit?: (exit: ServiceExit) => void;
}): Service {
  const log = createWriteStream(options.logFile, { flags: 'a' });
  const pidFile = options.pidDir && join(options.pidDir, `${options.name}.pid`);
  const note = (text: string) => log.write(`[supervisor ${new Date().toISOString()}] ${text}\n`);

  let child!: ChildProcess;
  let exit: Service['exit'] = null;
  let exited!: Promise<void>;
  let closed!: Promise<void>;
  let startedAt = 0;
  let ready = false;
  let stopping: Promise<void> | undefined;
  let restartTimer: NodeJS.Timeout | undefined;
  let lastDelay: number | null = null;

  const launch = () => {
    exit = null;
    startedAt = performance.now();
    const current = spawn(options.command, options.args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = current;
    for (const stream of [current.stdout, current.stderr]) {
      stream!.pipe(log, { end: false });
      if (options.onLine) createInterface({ input: stream! }).on('line', options.onLine);
    }
    if (pidFile && current.pid) {
      mkdirSync(options.pidDir!, { recursive: true });
      writeFileSync(pidFile, JSON.stringify({ pid: current.pid, command: options.command }));
    }
    closed = new Promise<void>((resolve) => {
      current.once('close', () => resolve());
      current.once('error', () => resolve());
    });
    exited = new Promise<void>((resolve) => {
      let done = false;
      const ended = (code: number | null, signal: NodeJS.Signals | null) => {
        if (done) return;
        done = true;
        exit = { code, signal };
        resolve();
        if (current === child) onEnded(current, code, signal);
      };
      current.once('exit', ended);
      // A command that cannot be spawned emits only 'error'.
      current.once('error', (err) => {
        note(`could not run ${options.command}: ${err.message}`);
        ended(null, null);
      });
    });
  };

  const onEnded = (ended: ChildProcess, code: number | null, signal: NodeJS.Signals | null) => {
    if (stopping || !ready) return;
    // The group may outlive its leader; a restart must not find the old one holding the port.
    signalGroup(ended, 'SIGKILL');
    if (pidFile) rmSync(pidFile, { force: true });
    const uptimeMs = Math.round(performance.now() - startedAt);
    const restartInMs = options.restart ? nextRestartDelay(lastDelay, uptimeMs) : null;
    const event: ServiceExit = { name: options.name, code, signal, uptimeMs, restartInMs };
    note(`${describeExit(event)} after ${(uptimeMs / 1000).toFixed(1)} s`);
    if (restartInMs !== null) {
      lastDelay = restartInMs;
      restartTimer = setTimeout(() => {
        restartTimer = undefined;
        if (stopping) return;
        launch();
        note(`started again as pid ${child.pid ?? '(none)'}`);
      }, restartInMs);
    }
    options.onExit?.(event);
  };

  launch();
  return {
    name: options.name,
    get child() {
      return child;
    },
    get exit() {
      return exit;
    },
    markReady() {
      ready = true;
    },
    stop() {
      stopping ??= (async () => {
        clearTimeout(restartTimer);
        if (!exit) {
          signalGroup(child, 'SIGTERM');
          const killed = setTimeout(() => signalGroup(child, 'SIGKILL'), 5000);
          await exited;
          clearTimeout(killed);
        }
        // The group may outlive its leader (gcloud exits before its java child).
        signalGroup(child, 'SIGKILL');
        if (pidFile) rmSync(pidFile, { force: true });
        // Output still in the pipes goes to the log before it ends.
        await settledWithin(closed, 1000);
        log.end();
      })();
      return stopping;
    },
  };
}

/** Waits for `work`, or `ms` at most. */
async function settledWithin(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([work, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

/** Stops process groups that an earlier run recorded in `pidDir` and never stopped (it was killed). */
export function reapLeftovers(pidDir: string): string[] {
  if (!existsSync(pidDir)) return [];
  const reaped = [];
  for (const file of readdirSync(pidDir).filter((f) => f.endsWith('.pid'))) {
    const path = join(pidDir, file);
    const { pid, command } = JSON.parse(readFileSync(path, 'utf8')) as { pid: number; command: string };
    const cmdline = existsSync(`/proc/${pid}/cmdline`) ? readFileSync(`/proc/${pid}/cmdline`, 'utf8') : '';
    // A group can outlive its leader (gcloud → java), so a missing leader still means: stop the group.
    if (cmdline === '' || cmdline.includes(command.split('/').pop()!)) {
      try {
        process.kill(-pid, 'SIGKILL');
        reaped.push(file.replace(/\.pid$/, ''));
      } catch {
        // already gone
      }
    }
    rmSync(path, { force: true });
  }
  return reaped;
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (!child.pid) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

/**
 * Polls `check` until it resolves true, failing with `hint` after `timeoutMs` or when `service` exits (then stopping
 * it, so a service that cannot start is not restarted over and over). Once ready, the service's supervision is armed.
 */
export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  options: { timeoutMs: number; hint: string; service?: Service },
): Promise<void> {
  try {
    await poll(what, check, options);
    options.service?.markReady();
  } catch (err) {
    await options.service?.stop();
    throw err;
  }
}

async function poll(
  what: string,
  check: () => Promise<boolean>,
  options: { timeoutMs: number; hint: string; service?: Service },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  while (Date.now() < deadline) {
    const exit = options.service?.exit;
    if (exit) {
      throw new Error(`${what} exited (${exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`}) before it was ready. ${options.hint}`);
    }
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what} was not ready after ${options.timeoutMs / 1000} s. ${options.hint}`);
}

/** Resolves true when `url` answers with a 2xx status. */
export const httpOk = async (url: string) => (await fetch(url, { signal: AbortSignal.timeout(2000) })).ok;

/** Resolves true when something accepts TCP connections on 127.0.0.1:port. */
export function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** True when nothing listens on 127.0.0.1:port (with `anyAddress`, on the port on any address). */
export function portIsFree(port: number, options: { anyAddress?: boolean } = {}): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    const listening = () => server.close(() => resolve(true));
    if (options.anyAddress) server.listen(port, listening);
    else server.listen(port, '127.0.0.1', listening);
  });
}

/** Ports handed out by this process, so two callers never get the same one before either listens. */
const handedOut = new Set<number>();

/**
 * A free port below Linux's ephemeral range (32768 and up). A port the system picks (port 0) comes from that range,
 * where any outgoing connection may take it as its own local port before the service that was given it listens:
 * a stack that starts a dozen processes over several seconds while its clients open hundreds of connections met that.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    // The functions framework listens on every address, so the port must be free on all of them.
    if (handedOut.has(port) || !(await portIsFree(port, { anyAddress: true }))) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error('no free port between 20000 and 32000 after 200 tries; stop what holds them, or free some');
}

/** Listens on 127.0.0.1:port (0 for any free port); resolves to the server's URL and a close that drops open connections. */
export async function serveOnLoopback(server: http.Server, port: number): Promise<{ url: string; close(): Promise<void> }> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const { port: bound } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${bound}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
