import { chmodSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { PubSub } from '@google-cloud/pubsub';
import { Storage } from '@google-cloud/storage';
import { functions, functionNames, type FunctionName } from '../../schemas/index.ts';
import { createDb } from '../../functions/lib/db/knex.ts';
import { migrateLatest } from '../../functions/lib/db/migrations.ts';
import { createFirestore } from '../../functions/lib/firestore.ts';
import { buildFunctions, builtEntry } from '../build.ts';
import { startPaymentSimulator } from '../providers/payment-simulator.ts';
import { startSmsSink } from '../providers/sms-sink.ts';
import { startStorageEmulator } from '../storage/emulator.ts';
import { demoCatalog, writeCatalog } from '../seed/catalog.ts';
import { jwks, loadOrCreateIssuerKey } from './dev-issuer.ts';
import { checkEmulatorPrerequisites, startFirestoreEmulator, startPubsubEmulator } from './emulators.ts';
import { startGateway } from './gateway.ts';
import { ensureDatabase, reachable, startEmbeddedPostgres, type Postgres } from './postgres.ts';
import { httpOk, listening, portIsFree, reapLeftovers, startService, waitFor, type Service } from './process.ts';
import { createTopology } from './pubsub-topology.ts';

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
  functions: Record<FunctionName, number>;
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
  logLevel: string;
  /** Redis for cached catalog reads; without it each function instance caches in memory. */
  redisUrl?: string;
  /** Extra environment for every function (configuration-driven fault injection, timeouts). */
  functionEnv?: Record<string, string>;
  onProgress: (step: string, done?: { ms: number }) => void;
  onFunctionLine?: (fn: FunctionName, line: string) => void;
}

/** A running stack: where to reach it, the environment its functions got, and how to stop it. */
export interface Stack {
  urls: { api: string; mailWeb: string; payment: string; sms: string; storage: string };
  env: Record<string, string>;
  databaseUrl: string;
  issuerKeyFile: string;
  issuer: string;
  audience: string;
  stop(): Promise<void>;
}

async function step<T>(options: StackOptions, name: string, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  options.onProgress(name);
  const result = await work();
  options.onProgress(name, { ms: Math.round(performance.now() - started) });
  return result;
}

/** Starts emulators, PostgreSQL, mail and provider stand-ins, every function and the API gateway; stops all on failure. */
export async function startStack(options: StackOptions): Promise<Stack> {
  const { ports, project } = options;
  mkdirSync(options.logDir, { recursive: true });
  mkdirSync(options.dataDir, { recursive: true });
  // An embedded PostgreSQL started as root runs as the `postgres` user, which must be able to enter this folder.
  chmodSync(options.dataDir, 0o755);
  const stoppers: (() => Promise<unknown>)[] = [];
  const pidDir = join(options.dataDir, 'run');
  const stop = async () => {
    const all = stoppers.splice(0);
    await Promise.all(all.map((s) => s().catch(() => undefined)));
  };
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
        if (typeof port === 'number' && !(await portIsFree(port))) taken.push(`${name} (${port})`);
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
    const [, , postgres, , payment, sms, key, storageEndpoint] = await step(
      options,
      'starting Pub/Sub and Firestore emulators, PostgreSQL, maildev, the storage endpoint and provider stand-ins',
      () =>
        all([
          started(startPubsubEmulator({ port: ports.pubsub, project, dataDir: join(options.dataDir, 'pubsub'), logDir: options.logDir, pidDir })),
          started(startFirestoreEmulator({ port: ports.firestore, project, logDir: options.logDir, pidDir })),
          started(options.postgresAdminUrl
            ? reachable(options.postgresAdminUrl).then((ok): Postgres => {
                if (!ok) throw new Error(`PostgreSQL does not answer at ${options.postgresAdminUrl}; start it or unset DATABASE_URL.`);
                return { adminUrl: options.postgresAdminUrl!, stop: async () => undefined };
              })
            : startEmbeddedPostgres({ dir: join(options.dataDir, 'postgres'), port: ports.postgres })),
          started(startMaildev(options)),
          started(startPaymentSimulator(ports.payment)),
          started(startSmsSink(ports.sms)),
          loadOrCreateIssuerKey(issuerKeyFile),
          started(startStorageEmulator(ports.storage)),
        ]),
    );

    const databaseUrl = await ensureDatabase(postgres.adminUrl, options.databaseName);
    const env: Record<string, string> = {
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
      LOG_LEVEL: options.logLevel,
      METADATA_SERVER_DETECTION: 'none',
      ...(options.redisUrl ? { REDIS_URL: options.redisUrl } : {}),
      ...options.functionEnv,
    };
    // This process seeds and sets up Pub/Sub through the same client libraries, against the same emulators.
    Object.assign(process.env, {
      PUBSUB_EMULATOR_HOST: env.PUBSUB_EMULATOR_HOST,
      FIRESTORE_EMULATOR_HOST: env.FIRESTORE_EMULATOR_HOST,
      STORAGE_EMULATOR_HOST: env.STORAGE_EMULATOR_HOST,
      METADATA_SERVER_DETECTION: 'none',
    });
    const storage = new Storage({ projectId: project });
    await storage.createBucket(env.IMAGES_BUCKET!);

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
          images: { storage, bucket: env.IMAGES_BUCKET!, publicUrl: env.IMAGES_PUBLIC_URL! },
        });
      } finally {
        await fs.terminate();
      }
    });

    await step(options, `building ${functionNames.length} functions`, buildFunctions);
    await step(options, `starting ${functionNames.length} functions`, () =>
      all(functionNames.map((fn) => started(startFunction(fn, ports.functions[fn], env, options)))),
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
      started(startGateway({ port: ports.gateway, functionPorts: new Map(Object.entries(ports.functions)) as Map<FunctionName, number>, jwks: jwks(key) })),
    );

    return {
      urls: { api: gateway.url, mailWeb: `http://127.0.0.1:${ports.mailWeb}`, payment: payment.url, sms: sms.url, storage: storageEndpoint.url },
      env,
      databaseUrl,
      issuerKeyFile,
      issuer,
      audience,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function startMaildev(options: StackOptions): Promise<Service> {
  const { smtp, mailWeb } = options.ports;
  const service = startService({
    name: 'maildev',
    command: process.execPath,
    args: [require.resolve('maildev/bin/maildev'), '--smtp', String(smtp), '--web', String(mailWeb), '--ip', '127.0.0.1', '--silent'],
    logFile: join(options.logDir, 'maildev.log'),
    pidDir: join(options.dataDir, 'run'),
  });
  await waitFor('maildev', () => httpOk(`http://127.0.0.1:${mailWeb}/email`), {
    timeoutMs: 30_000,
    hint: `See ${join(options.logDir, 'maildev.log')}.`,
    service,
  });
  return service;
}

function startFunction(fn: FunctionName, port: number, env: Record<string, string>, options: StackOptions): Promise<Service> {
  return startFunctionProcess({
    name: fn,
    source: builtEntry(fn),
    signature: functions[fn].trigger === 'http' ? 'http' : 'cloudevent',
    port,
    env,
    logDir: options.logDir,
    pidDir: join(options.dataDir, 'run'),
    ...(options.onFunctionLine ? { onLine: (line: string) => options.onFunctionLine!(fn, line) } : {}),
  });
}

/** Runs one built function with the functions-framework CLI, as Cloud Functions does, and waits until it answers. */
export async function startFunctionProcess(options: {
  name: string;
  source: string;
  signature: 'http' | 'cloudevent';
  port: number;
  env: Record<string, string>;
  logDir: string;
  pidDir: string;
  onLine?: (line: string) => void;
}): Promise<Service> {
  const logFile = join(options.logDir, `${options.name}.log`);
  const service = startService({
    name: options.name,
    command: process.execPath,
    args: [
      join(dirname(require.resolve('@google-cloud/functions-framework')), 'main.js'),
      `--target=${options.name}`,
      `--source=${options.source}`,
      `--signature-type=${options.signature}`,
      `--port=${options.port}`,
    ],
    cwd: root,
    env: { ...process.env, ...options.env, FUNCTION_TARGET: options.name, NODE_ENV: 'development', NODE_OPTIONS: '' },
    logFile,
    pidDir: options.pidDir,
    ...(options.onLine ? { onLine: options.onLine } : {}),
  });
  await waitFor(options.name, () => listening(options.port), {
    timeoutMs: 60_000,
    hint: `See ${logFile}.`,
    service,
  });
  return service;
}
