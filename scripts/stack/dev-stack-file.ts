import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { FunctionName } from '../../schemas/index.ts';

/** Where `npm run dev` says how to reach the stack it runs. */
export const devStackFile = resolve(import.meta.dirname, '../../.data/stack.json');

/** What other scripts (`npm run reconcile`, `npm run dlq`) need to reach a running `npm run dev`. */
export interface DevStackInfo {
  /** The runner's process; the file is stale once it is gone. */
  pid: number;
  startedAt: string;
  project: string;
  api: string;
  /** The fault control server. */
  faults: string;
  functionUrls: Record<FunctionName, string>;
  /** The environment without fault proxies: emulators, database and providers as they really are. */
  directEnv: Record<string, string>;
  issuerKeyFile: string;
  issuer: string;
  audience: string;
  logDir: string;
}

/** Writes the file (readable by the owner only: the environment carries the database password). */
export function writeDevStackFile(info: DevStackInfo, file = devStackFile): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(info, null, 2), { mode: 0o600 });
}

/** Removes the file if this process wrote it. */
export function removeDevStackFile(pid = process.pid, file = devStackFile): void {
  try {
    if ((JSON.parse(readFileSync(file, 'utf8')) as DevStackInfo).pid === pid) rmSync(file, { force: true });
  } catch {
    // no file, or not ours
  }
}

const running = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** The running dev stack; throws saying to start one when there is none (no file, or its runner is gone). */
export function readDevStackFile(file = devStackFile): DevStackInfo {
  if (!existsSync(file)) {
    throw new Error(`No running dev stack: ${file} does not exist. Start one with \`npm run dev\` in another terminal, then try again.`);
  }
  const info = JSON.parse(readFileSync(file, 'utf8')) as DevStackInfo;
  if (!running(info.pid)) {
    throw new Error(
      `The dev stack that wrote ${file} (pid ${info.pid}, started ${info.startedAt}) is not running any more. ` +
        'Start it again with `npm run dev`, then try again.',
    );
  }
  return info;
}
