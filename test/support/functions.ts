import type { PubSub } from '@google-cloud/pubsub';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { signatureOf, type FunctionName } from '../../schemas/index.ts';
import { builtEntry } from '../../scripts/build.ts';
import { freePort } from '../../scripts/stack/process.ts';
import { createTopology } from '../../scripts/stack/pubsub-topology.ts';
import { startFunctionProcess } from '../../scripts/stack/stack.ts';
import { stack } from './saga.ts';

/**
 * Starts one more copy of a function beside the stack's, with extra environment (fault injection, a short order
 * deadline, small limits), on a port of its own; it talks to the same emulators and database through the same fault proxies.
 */
export async function startExtraFunction(fn: FunctionName, env: Record<string, string | null>) {
  const port = await freePort();
  const logDir = join(stack.logDir, 'extra');
  mkdirSync(logDir, { recursive: true });
  const service = await startFunctionProcess({
    name: fn,
    source: builtEntry(fn),
    signature: signatureOf(fn),
    port,
    // null takes a variable away (REDIS_URL: null counts rate limits in PostgreSQL).
    env: Object.fromEntries(Object.entries({ ...stack.env, ...env }).filter((e): e is [string, string] => e[1] !== null)),
    unset: Object.keys(env).filter((key) => env[key] === null),
    logDir,
    pidDir: join(logDir, 'run'),
  });
  return { url: `http://127.0.0.1:${port}`, stop: () => service.stop() };
}

/** Puts every topic and subscription of the topology back as the table says (after a test bent one). */
export async function restoreTopology(pubsub: PubSub): Promise<void> {
  await createTopology(pubsub, stack.project, (fn, topic) => `${stack.functionUrls[fn]}/projects/${stack.project}/topics/${topic}`);
}
