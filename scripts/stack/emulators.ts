import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { mkdirSync } from 'node:fs';
import { httpOk, startService, waitFor, type Service } from './process.ts';

/**
 * JVM options for the emulators: a small serial-GC heap instead of a quarter of the machine's memory, so the whole
 * local stack stays well under 2 GB. EMULATOR_JAVA_OPTS overrides it.
 */
const emulatorEnv = (): NodeJS.ProcessEnv => ({
  ...process.env,
  JAVA_TOOL_OPTIONS: process.env.EMULATOR_JAVA_OPTS ?? '-XX:+UseSerialGC -Xms64m -Xmx384m -XX:MaxMetaspaceSize=128m',
});

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

/** Starts the Pub/Sub emulator on 127.0.0.1:port and waits until it answers. */
export async function startPubsubEmulator(options: { port: number; project: string; dataDir: string; logDir: string; pidDir: string }): Promise<Service> {
  mkdirSync(options.dataDir, { recursive: true });
  const service = startService({
    name: 'pubsub-emulator',
    command: 'gcloud',
    args: ['beta', 'emulators', 'pubsub', 'start', `--host-port=127.0.0.1:${options.port}`, `--project=${options.project}`, `--data-dir=${options.dataDir}`, '--quiet'],
    logFile: join(options.logDir, 'pubsub-emulator.log'),
    env: emulatorEnv(),
    pidDir: options.pidDir,
  });
  await waitFor('The Pub/Sub emulator', () => httpOk(`http://127.0.0.1:${options.port}/`), {
    timeoutMs: 90_000,
    hint: `See ${join(options.logDir, 'pubsub-emulator.log')}; is port ${options.port} taken?`,
    service,
  });
  return service;
}

/** Starts the Firestore emulator on 127.0.0.1:port and waits until it answers. */
export async function startFirestoreEmulator(options: { port: number; project: string; logDir: string; pidDir: string }): Promise<Service> {
  const service = startService({
    name: 'firestore-emulator',
    command: 'gcloud',
    args: [
      'emulators', 'firestore', 'start', `--host-port=127.0.0.1:${options.port}`, `--project=${options.project}`, '--quiet',
    ],
    logFile: join(options.logDir, 'firestore-emulator.log'),
    env: emulatorEnv(),
    pidDir: options.pidDir,
  });
  await waitFor('The Firestore emulator', () => httpOk(`http://127.0.0.1:${options.port}/`), {
    timeoutMs: 90_000,
    hint: `See ${join(options.logDir, 'firestore-emulator.log')}; is port ${options.port} taken?`,
    service,
  });
  return service;
}
