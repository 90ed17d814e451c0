import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type http from 'node:http';
import net from 'node:net';
import { createInterface } from 'node:readline';

/** A child process started in its own process group, so stopping it also stops what it started (gcloud → java). */
export interface Service {
  name: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Starts a command in its own process group, writing its output to `logFile` and handing each line to `onLine`. */
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
}): Service {
  const log = createWriteStream(options.logFile, { flags: 'a' });
  const child = spawn(options.command, options.args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const stream of [child.stdout, child.stderr]) {
    stream!.pipe(log, { end: false });
    if (options.onLine) createInterface({ input: stream! }).on('line', options.onLine);
  }
  const pidFile = options.pidDir && join(options.pidDir, `${options.name}.pid`);
  if (pidFile && child.pid) {
    mkdirSync(options.pidDir!, { recursive: true });
    writeFileSync(pidFile, JSON.stringify({ pid: child.pid, command: options.command }));
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stopping: Promise<void> | undefined;
  return {
    name: options.name,
    child,
    stop() {
      stopping ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          signalGroup(child, 'SIGTERM');
          const killed = setTimeout(() => signalGroup(child, 'SIGKILL'), 5000);
          await exited;
          clearTimeout(killed);
        }
        // The group may outlive its leader (gcloud exits before its java child).
        signalGroup(child, 'SIGKILL');
        if (pidFile) rmSync(pidFile, { force: true });
        log.end();
      })();
      return stopping;
    },
  };
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
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // already gone
  }
}

/** Polls `check` until it resolves true, failing with `hint` after `timeoutMs` or when `service` exits (then stopping it). */
export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  options: { timeoutMs: number; hint: string; service?: Service },
): Promise<void> {
  try {
    await poll(what, check, options);
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
    if (options.service && options.service.child.exitCode !== null) {
      throw new Error(`${what} exited with code ${options.service.child.exitCode}. ${options.hint}`);
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

/** True when nothing listens on 127.0.0.1:port. */
export function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A port the operating system says is free now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
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
