import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { functionNames, type FunctionName } from '../../schemas/index.ts';
import type { StackPorts } from './stack.ts';

/** Emulator ports as firebase.json declares them. */
export function emulatorPorts(): { pubsub: number; firestore: number } {
  const file = resolve(import.meta.dirname, '../../firebase.json');
  const { emulators } = JSON.parse(readFileSync(file, 'utf8')) as { emulators: Record<string, { port: number }> };
  return { pubsub: emulators.pubsub!.port, firestore: emulators.firestore!.port };
}

/**
 * The fixed ports of `npm run dev`: the API on 8080, maildev on 1080/1025, the fault control server on 8093, the
 * telemetry collector on 8094, functions
 * from 8101 in topology order.
 */
export function devPorts(): StackPorts {
  return {
    gateway: 8080,
    ...emulatorPorts(),
    smtp: 1025,
    mailWeb: 1080,
    payment: 8090,
    sms: 8091,
    storage: 8092,
    faults: 8093,
    telemetry: 8094,
    postgres: 5433,
    functions: Object.fromEntries(functionNames.map((fn, i) => [fn, 8101 + i])) as Record<FunctionName, number>,
  };
}
