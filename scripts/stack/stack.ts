import { chmodSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { PubSub } from '@google-cloud/pubsub';
import { Storage } from '@google-cloud/storage';
import { functionNames, signatureOf, type FunctionName } from '../../schemas/index.ts';
import { createDb } from '../../functions/lib/db/knex.ts';
import { migrateLatest } from '../../functions/lib/db/migrations.ts';
import { createFirestore } from '../../functions/lib/firestore.ts';
import { buildFunctions, builtEntry } from '../build.ts';
import { startPaymentSimulator } from '../providers/payment-simulator.ts';
import { startSmsSink } from '../providers/sms-sink.ts';
import { startStorageEmulator } from '../storage/emulator.ts';
import { demoCatalog, writeCatalog, writeCatalogSnapshot } from '../seed/catalog.ts';
import { hostPortOf, proxiedEnv, startDependencyProxies, type FaultTarget } from './dependency-proxies.ts';
import { jwks, loadOrCreateIssuerKey } from './dev-issuer.ts';
import { checkEmulatorPrerequisites, LARGE_CATALOG_PRODUCTS, startFirestoreEmulator, startPubsubEmulator } from './emulators.ts';
import { startGateway } from './gateway.ts';
import { ensureDatabase, reachable, startEmbeddedPostgres, type Postgres } from './postgres.ts';
import { describeExit, freePort, httpOk, listening, portIsFree, reapLeftovers, startService, waitFor, type Service, type ServiceExit } from './process.ts';
import { createTopology } from './pubsub-topology.ts';
import { startTelemetryCollector } from './telemetry-collector.ts';
import { scheduledJobs, startScheduler, type ScheduleOverrides } from './scheduler.ts';

const root = resolve(import.meta.dirname, '../..');
const require = createRequire(import.meta.url);

/** Ports of everything the stack serves. */
export interface StackPorts {
  gateway: number;
  pubsub: number;
  firestore: number;
  smtp: number;
  mailWeb: number;
  payment: number;
  sms: number;
  storage: number;
  /** Used only when the stack starts its own PostgreSQL. */
  postgres: number;
  /** The fault control server; any free port when absent. The proxies themselves take free ports of their own. */
  faults?: number;
  /** The telemetry collector (spans and metrics); any free port when absent. */
  telemetry?: number;
  functions: Record<FunctionName, number>;
}

/** Free ports for every part of a stack (a bench's or a test's own stack beside any other). */
export async function freeStackPorts(): Promise<StackPorts> {
  return {
    gateway: await freePort(), pubsub: await freePort(), firestore: await freePort(), smtp: await freePort(), mailWeb: await freePort(),
    payment: await freePort(), sms: await freePort(), storage: await freePort(), postgres: await freePort(),
    functions: Object.fromEntries(await Promise.all(functionNames.map(async (fn) => [fn, await freePort()]))) as Record<FunctionName, number>,
  };
}

/** Something the stack started exited on its own: a supervised process is being restarted, an emulator is not. */
export interface StackServiceExit {
  name: string;
  restarting: boolean;
  /** One line for a person: what exited, how, and what happens or what to do now. */
  message: string;
}

export interface StackOptions {
  ports: StackPorts;
  project: string;
  /** Where emulator data, the embedded PostgreSQL and the issuer key live. */
  dataDir: string;
  logDir: string;
  /** PostgreSQL server to use (its maintenance database); when absent the stack starts an embedded one. */
  postgresAdminUrl?: string;
  databaseName: string;
  seedProducts: number;
  /** Upload a placeholder image per seeded product (default true); a large bench catalog goes without. */
  seedImages?: boolean;
  logLevel: string;
  /** Redis for cached catalog reads; without it each function instance caches in memory. */
  redisUrl?: string;
  /** Extra environment for every function (configuration-driven fault injection, timeouts). */
  functionEnv?: Record<string, string>;
  /**
   * Whether functions reach their dependencies through the fault proxies (the default; the fault switches need them).
   * The benchmark connects them directly, as production does, so that the proxies' relaying is not counted.
   */
  faultProxies?: boolean;
  /** Node.js flags for some functions' processes (the bench's `BENCH_PROFILE` gives `--cpu-prof`). */
  nodeFlagsOf?: Partial<Record<FunctionName, string[]>>;
  /** Extra environment for one function, over `functionEnv`. */
  functionEnvOf?: Partial<Record<FunctionName, Record<string, string>>>;
  /** Seconds between the local scheduler's calls of a scheduled function (null: never); the table's interval otherwise. */
  scheduleEverySeconds?: ScheduleOverrides;
  onProgress: (step: string, done?: { ms: number }) => void;
  onFunctionLine?: (fn: FunctionName, line: string) => void;
  /** Told when a function or maildev exits on its own (and is restarted), or an emulator dies (and the stack is broken). */
  onServiceExit?: (exit: StackServiceExit) => void;
}

/** A running stack: where to reach it, the environments it hands out, and how to stop it. */
export interface Stack {
  urls: {
    api: string;
    mailWeb: string;
    payment: string;
    sms: string;
    storage: string;
    /** The fault control server: `GET /faults`, `PUT /faults/<name>` with `{ "mode": "pass" | "refuse" | "hang" }`. */
    faults: string;
    /** The telemetry collector: `GET /traces/{traceId}`, `GET /orders/{orderId}/trace`, `GET /metrics`. */
    telemetry: string;
    functions: Record<FunctionName, string>;
  };
  /** The environment every function got: dependencies behind their fault proxies, plus `functionEnv`. */
  env: Record<string, string>;
  /** The environment one function got: `env` plus its own `functionEnvOf`. */
  envOf(fn: FunctionName): Record<string, string>;
  /** The same addresses without the proxies, for the stack's own setup, tests' checks and operator scripts. */
  directEnv: Record<string, string>;
  /** The database, reached directly. */
  databaseUrl: string;
  issuerKeyFile: string;
  issuer: string;
  audience: string;
  /** Holds `<name>.pid` of every process the stack runs (a restarted function's file holds its new pid). */
  pidDir: string;
  /** The pid of a function's current process; undefined while it is down (waiting to restart). */
  functionPid(fn: FunctionName): number | undefined;
  stop(): Promise<void>;
}

async function step<T>(options: StackOptions, name: string, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  options.onProgress(name);
  const result = await work();
  options.onProgress(name, { ms: Math.round(performance.now() - started) });
  return result;
}

/** Where a proxy forwards each dependency's connections; all known before anything has started. */
function proxyTargets(options: StackOptions): Record<FaultTarget, { host: string; port: number }> {
  const local = (port: number) => ({ host: '127.0.0.1', port });
  const { ports } = options;
  return {
    pubsub: local(ports.pubsub),
    firestore: local(ports.firestore),
    postgres: options.postgresAdminUrl ? hostPortOf(options.postgresAdminUrl) : local(ports.postgres),
    smtp: local(ports.smtp),
    payment: local(ports.payment),
    sms: local(ports.sms),
  };
}

/**
 * Starts emulators, PostgreSQL, mail and provider stand-ins, a fault proxy in front of each of those, every function
 * (supervised: restarted when it dies), the API gateway and the local scheduler of the scheduled functions; stops
 * all on failure.
 */
export async function startStack(options: StackOptions): Promise<Stack> {
  const { ports, project } = options;
  mkdirSync(options.logDir, { recursive: true });
  mkdirSync(options.dataDir, { recursive: true });
  // An embedded PostgreSQL started as root runs as the `postgres` user, which must be able to enter this folder.
  chmodSync(options.dataDir, 0o755);
  const stoppers: (() => Promise<unknown>)[] = [];
  let stopScheduler: (() => Promise<void>) | undefined;
  const pidDir = join(options.dataDir, 'run');
  const stop = async () => {
    // The scheduler first, so no call lands on a function that is stopping.
    await stopScheduler?.();
    const all = stoppers.splice(0);
    await Promise.all(all.map((s) => s().catch(() => undefined)));
  };
  const supervised = (exit: ServiceExit) =>
    options.onServiceExit?.({ name: exit.name, restarting: exit.restartInMs !== null, message: describeExit(exit) });
  const fatal = (exit: ServiceExit) =>
    options.onServiceExit?.({
      name: exit.name,
      restarting: false,
      message:
        `${describeExit(exit)}. It is not restarted: a restarted emulator has lost its data, so the stack no longer works. ` +
        `Stop the stack and start it again (see ${join(options.logDir, `${exit.name}.log`)}).`,
    });
  try {
    await step(options, 'checking prerequisites (Java, gcloud emulators, free ports)', async () => {
      await checkEmulatorPrerequisites();
      const reaped = reapLeftovers(pidDir);
      if (reaped.length > 0) {
        options.onProgress(`stopped leftovers of an earlier run that was killed: ${reaped.join(', ')}`);
        await new Promise((r) => setTimeout(r, 500));
      }
      const wanted = { ...ports, ...ports.functions, functions: undefined, postgres: options.postgresAdminUrl ? undefined : ports.postgres };
      const taken = [];
      for (const [name, port] of Object.entries(wanted)) {
        if (typeof port === 'number' && port !== 0 && !(await portIsFree(port))) taken.push(`${name} (${port})`);
      }
      if (taken.length > 0) {
        throw new Error(`ports already in use: ${taken.join(', ')}. Stop what uses them (another \`npm run dev\`?) and try again.`);
      }
    });
    const issuerKeyFile = join(options.dataDir, 'dev-issuer.json');
    const issuer = `http://127.0.0.1:${ports.gateway}/dev-issuer`;
    const audience = project;

    const started = <T extends { stop?: () => Promise<void>; close?: () => Promise<void> }>(service: Promise<T>) =>
      service.then((s) => {
        stoppers.push(() => (s.stop ?? s.close)!());
        return s;
      });
    // Like Promise.all, but waits for every start to settle, so a failure leaves nothing running unrecorded.
    const all = async <T extends unknown[]>(work: { [K in keyof T]: Promise<T[K]> }): Promise<T> => {
      const settled = await Promise.allSettled(work);
      const failed = settled.find((r) => r.status === 'rejected');
      if (failed) throw failed.reason;
      return settled.map((r) => (r as PromiseFulfilledResult<unknown>).value) as T;
    };
    const [, , postgres, , payment, sms, key, storageEndpoint, faults, telemetry] = await step(
      options,
      'starting Pub/Sub and Firestore emulators, PostgreSQL, maildev, the storage endpoint, provider stand-ins, fault proxies and the telemetry collector',
      () =>
        all([
          started(startPubsubEmulator({ port: ports.pubsub, project, dataDir: join(options.dataDir, 'pubsub'), logDir: options.logDir, pidDir, onExit: fatal })),
          started(startFirestoreEmulator({ port: ports.firestore, project, logDir: options.logDir, pidDir, onExit: fatal, large: options.seedProducts > LARGE_CATALOG_PRODUCTS })),
          started(options.postgresAdminUrl
            ? reachable(options.postgresAdminUrl).then((ok): Postgres => {
                if (!ok) throw new Error(`PostgreSQL does not answer at ${options.postgresAdminUrl}; start it or unset DATABASE_URL.`);
                return { adminUrl: options.postgresAdminUrl!, stop: async () => undefined };
              })
            : startEmbeddedPostgres({ dir: join(options.dataDir, 'postgres'), port: ports.postgres })),
          started(startMaildev(options, supervised)),
          started(startPaymentSimulator(ports.payment)),
          started(startSmsSink(ports.sms)),
          loadOrCreateIssuerKey(issuerKeyFile),
          started(startStorageEmulator(ports.storage)),
          started(startDependencyProxies({ targets: proxyTargets(options), controlPort: ports.faults ?? 0 })),
          started(startTelemetryCollector({ port: ports.telemetry ?? 0 })),
        ]),
    );

    const databaseUrl = await ensureDatabase(postgres.adminUrl, options.databaseName);
    const directEnv: Record<string, string> = {
      GOOGLE_CLOUD_PROJECT: project,
      PUBSUB_EMULATOR_HOST: `127.0.0.1:${ports.pubsub}`,
      FIRESTORE_EMULATOR_HOST: `127.0.0.1:${ports.firestore}`,
      DATABASE_URL: databaseUrl,
      AUTH_ISSUER: issuer,
      AUTH_AUDIENCE: audience,
      AUTH_JWKS_URL: `http://127.0.0.1:${ports.gateway}/dev-issuer/jwks.json`,
      PAYMENT_PROVIDER_URL: payment.url,
      SMTP_URL: `smtp://127.0.0.1:${ports.smtp}`,
      SMS_PROVIDER_URL: sms.url,
      STORAGE_EMULATOR_HOST: storageEndpoint.url,
      IMAGES_BUCKET: `${project}-images`,
      IMAGES_PUBLIC_URL: storageEndpoint.url,
      CATALOG_SNAPSHOT_BUCKET: `${project}-catalog`,
      LOG_LEVEL: options.logLevel,
      METADATA_SERVER_DETECTION: 'none',
      TELEMETRY_ENDPOINT: telemetry.url,
      TRACE_QUERY_URL: telemetry.url,
      METRICS_EXPORT_INTERVAL_MS: '5000',
      ...(options.redisUrl ? { REDIS_URL: options.redisUrl } : {}),
    };
    const proxyPorts = Object.fromEntries(Object.entries(faults.proxies).map(([name, p]) => [name, p.port])) as Record<FaultTarget, number>;
    // A large catalog is seeded seconds before catalog-api starts from its snapshot: with the production overlap
    // (300 s) every instance would follow the whole catalog, and the emulator sends a listener its whole result set
    // again on every change (2.2-3.4 s of the listener's CPU per change at 100,000 products; Firestore sends the change
    // alone). Following from 1 s before the snapshot, an instance follows what changed since, as in production.
    const largeCatalog: Record<string, string> = options.seedProducts > LARGE_CATALOG_PRODUCTS ? { CATALOG_SNAPSHOT_OVERLAP_SECONDS: '1' } : {};
    const env = { ...(options.faultProxies === false ? directEnv : proxiedEnv(directEnv, proxyPorts)), ...largeCatalog, ...options.functionEnv };
    const envOf = (fn: FunctionName) => ({ ...env, ...options.functionEnvOf?.[fn] });
    // This process seeds and sets up Pub/Sub through the same client libraries, directly against the emulators.
    Object.assign(process.env, {
      PUBSUB_EMULATOR_HOST: directEnv.PUBSUB_EMULATOR_HOST,
      FIRESTORE_EMULATOR_HOST: directEnv.FIRESTORE_EMULATOR_HOST,
      STORAGE_EMULATOR_HOST: directEnv.STORAGE_EMULATOR_HOST,
      METADATA_SERVER_DETECTION: 'none',
    });
    const storage = new Storage({ projectId: project });
    await storage.createBucket(directEnv.IMAGES_BUCKET!);
    await storage.createBucket(directEnv.CATALOG_SNAPSHOT_BUCKET!);

    await step(options, 'migrating PostgreSQL', async () => {
      const db = createDb({ DATABASE_URL: databaseUrl, DB_USER: '', DB_NAME: '', DB_IP_TYPE: 'PRIVATE', DB_IAM_AUTH: false, DB_POOL_MAX: 1 });
      try {
        await migrateLatest(db);
      } finally {
        await db.destroy();
      }
    });

    await step(options, `seeding ${options.seedProducts} demo products`, async () => {
      const fs = createFirestore(project);
      try {
        await writeCatalog(fs, demoCatalog(options.seedProducts), {
          unthrottled: true,
          ...(options.seedImages === false ? {} : { images: { storage, bucket: directEnv.IMAGES_BUCKET!, publicUrl: directEnv.IMAGES_PUBLIC_URL! } }),
        });
        // catalog-api starts from this snapshot, as an instance in production does.
        await writeCatalogSnapshot(fs, storage, directEnv.CATALOG_SNAPSHOT_BUCKET!);
      } finally {
        await fs.terminate();
      }
    });

    await step(options, `building ${functionNames.length} functions and the saga console`, buildFunctions);
    const services = new Map<FunctionName, Service>();
    await step(options, `starting ${functionNames.length} functions`, () =>
      all(
        functionNames.map((fn) =>
          started(
            startFunction(fn, envOf(fn), options, supervised).then((service) => {
              services.set(fn, service);
              return service;
            }),
          ),
        ),
      ),
    );

    await step(options, 'creating topics, dead-letter topics and push subscriptions', async () => {
      const pubsub = new PubSub({ projectId: project });
      try {
        await createTopology(pubsub, project, (fn, topic) => `http://127.0.0.1:${ports.functions[fn]}/projects/${project}/topics/${topic}`);
      } finally {
        await pubsub.close();
      }
    });

    const gateway = await step(options, 'starting the API gateway', () =>
      started(
        startGateway({
          port: ports.gateway,
          functionPorts: new Map(Object.entries(ports.functions)) as Map<FunctionName, number>,
          jwks: jwks(key),
          local: { faults: faults.url, payment: payment.url },
        }),
      ),
    );

    const functionUrls = Object.fromEntries(functionNames.map((fn) => [fn, `http://127.0.0.1:${ports.functions[fn]}`])) as Record<FunctionName, string>;
    const jobs = scheduledJobs((fn) => `${functionUrls[fn]}/`, options.scheduleEverySeconds);
    stopScheduler = startScheduler({ jobs, logFile: join(options.logDir, 'scheduler.log') }).stop;
    options.onProgress(
      `scheduler: ${jobs.map((j) => `${j.name} every ${j.everySeconds} s`).join(', ') || 'no scheduled calls'} (failures in ${join(options.logDir, 'scheduler.log')})`,
    );

    return {
      urls: {
        api: gateway.url,
        mailWeb: `http://127.0.0.1:${ports.mailWeb}`,
        payment: payment.url,
        sms: sms.url,
        storage: storageEndpoint.url,
        faults: faults.url,
        telemetry: telemetry.url,
        functions: functionUrls,
      },
      env,
      envOf,
      directEnv,
      databaseUrl,
      issuerKeyFile,
      issuer,
      audience,
      pidDir,
      functionPid: (fn) => {
        const service = services.get(fn);
        return service && !service.exit ? service.child.pid : undefined;
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function startMaildev(options: StackOptions, onExit: (exit: ServiceExit) => void): Promise<Service> {
  const { smtp, mailWeb } = options.ports;
  const service = startService({
    name: 'maildev',
    command: process.execPath,
    args: [require.resolve('maildev/bin/maildev'), '--smtp', String(smtp), '--web', String(mailWeb), '--ip', '127.0.0.1', '--silent'],
    logFile: join(options.logDir, 'maildev.log'),
    pidDir: join(options.dataDir, 'run'),
    restart: true,
    onExit,
  });
  await waitFor('maildev', () => httpOk(`http://127.0.0.1:${mailWeb}/email`), {
    timeoutMs: 30_000,
    hint: `See ${join(options.logDir, 'maildev.log')}.`,
    service,
  });
  return service;
}

function startFunction(fn: FunctionName, env: Record<string, string>, options: StackOptions, onExit: (exit: ServiceExit) => void): Promise<Service> {
  return startFunctionProcess({
    name: fn,
    source: builtEntry(fn),
    signature: signatureOf(fn),
    port: options.ports.functions[fn],
    ...(options.nodeFlagsOf?.[fn] ? { nodeFlags: options.nodeFlagsOf[fn] } : {}),
    env,
    logDir: options.logDir,
    pidDir: join(options.dataDir, 'run'),
    restart: true,
    onExit,
    ...(options.onFunctionLine ? { onLine: (line: string) => options.onFunctionLine!(fn, line) } : {}),
  });
}

/** How a function is started: the functions-framework CLI, as Cloud Functions runs it. */
export interface FunctionLaunch {
  name: string;
  source: string;
  signature: 'http' | 'cloudevent';
  port: number;
  env: Record<string, string>;
  /** Flags for Node.js itself, before the framework's entry point. */
  nodeFlags?: readonly string[];
  /** Variables the function must not inherit from this process. */
  unset?: readonly string[];
}

/** The command, arguments, working directory and environment that run one built function. */
export function functionCommand(options: FunctionLaunch): { command: string; args: string[]; cwd: string; env: Record<string, string> } {
  return {
    command: process.execPath,
    args: [
      ...(options.nodeFlags ?? []),
      join(dirname(require.resolve('@google-cloud/functions-framework')), 'main.js'),
      `--target=${options.name}`,
      `--source=${options.source}`,
      `--signature-type=${options.signature}`,
      `--port=${options.port}`,
    ],
    cwd: root,
    env: Object.fromEntries(
      Object.entries({ ...process.env, ...options.env, FUNCTION_TARGET: options.name, NODE_ENV: 'development', NODE_OPTIONS: '' }).filter(
        (entry): entry is [string, string] => entry[1] !== undefined && !options.unset?.includes(entry[0]),
      ),
    ),
  };
}

/**
 * Runs one built function with the functions-framework CLI, as Cloud Functions does, and waits until it answers.
 * With `restart`, it is started again whenever it dies after that (see `startService`).
 */
export async function startFunctionProcess(
  options: FunctionLaunch & {
    logDir: string;
    pidDir: string;
    onLine?: (line: string) => void;
    restart?: boolean;
    onExit?: (exit: ServiceExit) => void;
  },
): Promise<Service> {
  const logFile = join(options.logDir, `${options.name}.log`);
  const service = startService({
    name: options.name,
    ...functionCommand(options),
    logFile,
    pidDir: options.pidDir,
    ...(options.onLine ? { onLine: options.onLine } : {}),
    ...(options.restart ? { restart: true } : {}),
    ...(options.onExit ? { onExit: options.onExit } : {}),
  });
  await waitFor(options.name, () => listening(options.port), {
    timeoutMs: 60_000,
    hint: `See ${logFile}.`,
    service,
  });
  return service;
}
