import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { mkdirSync } from 'node:fs';
import { httpOk, startService, waitFor, type Service, type ServiceExit } from './process.ts';

/**
 * JVM options for the emulators: a small serial-GC heap instead of a quarter of the machine's memory, so the whole
 * local stack stays well under 2 GB; 4 GB for a large catalog. EMULATOR_JAVA_OPTS overrides both.
 */
const emulatorEnv = (large = false): NodeJS.ProcessEnv => ({
  ...process.env,
  JAVA_TOOL_OPTIONS:
    process.env.EMULATOR_JAVA_OPTS ??
    (large ? '-XX:+UseParallelGC -Xms256m -Xmx4g -XX:MaxDirectMemorySize=1g -XX:MaxMetaspaceSize=128m' : '-XX:+UseSerialGC -Xms64m -Xmx384m -XX:MaxMetaspaceSize=128m'),
});

/**
 * Past this many products a stack is a large catalog: its Firestore emulator gets a 4 GB heap (with 384 MB it collects
 * garbage without end and writes time out after 60 s; it holds 100,000 products in about 2 GB).
 */
export const LARGE_CATALOG_PRODUCTS = 10_000;

const run = promisify(execFile);

/** Checks that Java and the gcloud emulator components are installed; throws saying how to install what is missing. */
export async function checkEmulatorPrerequisites(): Promise<void> {
  try {
    await run('java', ['-version']);
  } catch {
    throw new Error('Java is not installed. Install a JRE 17 or newer (Debian: apt-get install openjdk-17-jre-headless).');
  }
  let components: string;
  try {
    components = (await run('gcloud', ['components', 'list', '--only-local-state', '--format=value(id)'])).stdout;
  } catch {
    throw new Error('gcloud is not installed. Install the Google Cloud CLI: https://cloud.google.com/sdk/docs/install');
  }
  const missing = ['pubsub-emulator', 'cloud-firestore-emulator', 'beta'].filter((c) => !components.split(/\s+/).includes(c));
  if (missing.length > 0) {
    throw new Error(
      `gcloud components missing: ${missing.join(', ')}. Install them with: gcloud components install ${missing.join(' ')} ` +
        '(or apt-get install google-cloud-cli-pubsub-emulator google-cloud-cli-firestore-emulator).',
    );
  }
}

interface EmulatorOptions {
  port: number;
  project: string;
  logDir: string;
  pidDir: string;
  /** Told when the emulator exits on its own; it is not restarted, since a restarted emulator has lost its data. */
  onExit?: (exit: ServiceExit) => void;
  /** It will hold more than LARGE_CATALOG_PRODUCTS products. */
  large?: boolean;
}

/** Starts one gcloud emulator and waits until its HTTP root answers. */
async function startEmulator(name: string, label: string, args: string[], options: EmulatorOptions): Promise<Service> {
  const logFile = join(options.logDir, `${name}.log`);
  const service = startService({
    name,
    command: 'gcloud',
    args,
    logFile,
    env: emulatorEnv(options.large),
    pidDir: options.pidDir,
    ...(options.onExit ? { onExit: options.onExit } : {}),
  });
  await waitFor(label, () => httpOk(`http://127.0.0.1:${options.port}/`), {
    timeoutMs: 90_000,
    hint: `See ${logFile}; is port ${options.port} taken?`,
    service,
  });
  return service;
}

/** Starts the Pub/Sub emulator on 127.0.0.1:port and waits until it answers. */
export function startPubsubEmulator(options: EmulatorOptions & { dataDir: string }): Promise<Service> {
  mkdirSync(options.dataDir, { recursive: true });
  const { port, project, dataDir } = options;
  return startEmulator(
    'pubsub-emulator',
    'The Pub/Sub emulator',
    ['beta', 'emulators', 'pubsub', 'start', `--host-port=127.0.0.1:${port}`, `--project=${project}`, `--data-dir=${dataDir}`, '--quiet'],
    options,
  );
}

/** Starts the Firestore emulator on 127.0.0.1:port and waits until it answers. */
export function startFirestoreEmulator(options: EmulatorOptions): Promise<Service> {
  const { port, project } = options;
  return startEmulator(
    'firestore-emulator',
    'The Firestore emulator',
    ['emulators', 'firestore', 'start', `--host-port=127.0.0.1:${port}`, `--project=${project}`, '--quiet'],
    options,
  );
}
