import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { TestProject } from 'vitest/node';
import { dropDatabase, reachable } from '../../scripts/stack/postgres.ts';
import { freePort, listening } from '../../scripts/stack/process.ts';
import { freeStackPorts, startStack, type Stack, type StackPorts } from '../../scripts/stack/stack.ts';
import type { StackInfo } from './stack-info.ts';

const LOCAL_POSTGRES = 'postgres://postgres@127.0.0.1:5432/postgres';

interface Shared {
  info: Promise<StackInfo>;
  stack?: Stack;
  users: number;
  cleanup: () => Promise<void>;
}
// int and e2e each run this global setup; they share one stack per test run.
const key = Symbol.for('saga-commerce.test-stack');
const shared = globalThis as unknown as { [key]?: Shared };

/** The stack's ports, and one for the fault proxies' control API, which the fault tests drive. */
const ports = async (): Promise<StackPorts> => ({ ...(await freeStackPorts()), faults: await freePort() });

async function start(state: Shared): Promise<StackInfo> {
  const dataDir = mkdtempSync(join(tmpdir(), 'saga-test-'));
  const logDir = resolve(import.meta.dirname, '../../.data/test-logs');
  rmSync(logDir, { recursive: true, force: true });
  const adminUrl = process.env.TEST_POSTGRES_URL ?? ((await reachable(LOCAL_POSTGRES)) ? LOCAL_POSTGRES : undefined);
  const databaseName = `saga_test_${randomBytes(4).toString('hex')}`;
  const project = 'saga-commerce-test';
  const stackPorts = await ports();
  const redisUrl = process.env.TEST_REDIS_URL ?? ((await listening(6379)) ? 'redis://127.0.0.1:6379' : undefined);
  const started = performance.now();
  const stack = await startStack({
    ports: stackPorts,
    project,
    dataDir,
    logDir,
    ...(adminUrl ? { postgresAdminUrl: adminUrl } : {}),
    databaseName,
    ...(redisUrl ? { redisUrl } : {}),
    seedProducts: 60,
    logLevel: 'debug',
    // Tests wait on the sweeper and the watchdog, and call reconciliation themselves.
    scheduleEverySeconds: { 'outbox-sweep': 1, 'saga-watchdog': 1, 'saga-reconcile': null },
    // A stalled saga is nudged after 20 s: later than a dead-letter test takes to give a message up, soon enough for a test to wait.
    // Quotas out of the way: the limit tests start a function of their own with small ones.
    functionEnv: {
      SAGA_STALL_SECONDS: '20',
      OUTBOX_SWEEP_AFTER_SECONDS: '2',
      RATE_LIMIT_READ_PER_MINUTE: '1000000',
      RATE_LIMIT_ORDER_PER_MINUTE: '1000000',
      RATE_LIMIT_ADMIN_WRITE_PER_MINUTE: '1000000',
      MAX_OPEN_ORDERS_PER_CUSTOMER: '1000',
      CORS_ALLOWED_ORIGINS: 'https://shop.example',
    },
    onProgress: (step, done) => done && console.log(`[test stack] ${step} (${(done.ms / 1000).toFixed(1)} s)`),
    onServiceExit: (exit) => console.log(`[test stack] ${exit.message}`),
  });
  console.log(`[test stack] catalog read cache: ${redisUrl ?? 'in memory'}`);
  console.log(`[test stack] up in ${((performance.now() - started) / 1000).toFixed(1)} s; logs in ${logDir}`);
  state.stack = stack;
  state.cleanup = async () => {
    await stack.stop();
    if (adminUrl) await dropDatabase(adminUrl, databaseName).catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  };
  return {
    project,
    api: stack.urls.api,
    mailWeb: stack.urls.mailWeb,
    payment: stack.urls.payment,
    sms: stack.urls.sms,
    storage: stack.urls.storage,
    faults: stack.urls.faults,
    telemetry: stack.urls.telemetry,
    functionUrls: stack.urls.functions,
    env: stack.env,
    directEnv: stack.directEnv,
    databaseUrl: stack.databaseUrl,
    issuerKeyFile: stack.issuerKeyFile,
    issuer: stack.issuer,
    audience: stack.audience,
    logDir,
    pidDir: stack.pidDir,
    smtpPort: stackPorts.smtp,
  };
}

/** Starts the whole local stack on free ports for the int and e2e tiers; the last tier to finish stops it. */
export default async function setup(project: TestProject) {
  let state = shared[key];
  if (!state) {
    state = { users: 0, cleanup: async () => undefined } as unknown as Shared;
    state.info = start(state);
    shared[key] = state;
  }
  state.users++;
  project.provide('stack', await state.info);
  return async () => {
    state.users--;
    if (state.users === 0) {
      await state.cleanup();
      delete shared[key];
    }
  };
}
