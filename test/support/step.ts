import type { CloudEvent } from '@google-cloud/functions-framework';
import type { Envelope, EventData, EventType, FunctionName } from '../../schemas/index.ts';
import { createEvent } from '../../functions/lib/events.ts';
import { parseFaults } from '../../functions/lib/faults.ts';
import { createLogger } from '../../functions/lib/logger.ts';
import { newId } from '../../functions/lib/ids.ts';
import { pubsubStep, type Consumes, type StepHandler } from '../../functions/lib/step.ts';

/** A Pub/Sub CloudEvent carrying `payload` as the message data, as functions-framework hands it over. */
export function cloudEventOf(payload: unknown, topic = 'test'): CloudEvent<unknown> {
  const id = newId();
  return {
    specversion: '1.0',
    id,
    type: 'google.cloud.pubsub.topic.v1.messagePublished',
    source: `//pubsub.googleapis.com/projects/test/topics/${topic}`,
    data: { message: { data: Buffer.from(JSON.stringify(payload)).toString('base64'), messageId: id } },
  } as CloudEvent<unknown>;
}

/** An event that starts from nothing, for feeding a step directly. */
export const eventOf = <T extends EventType>(type: T, data: EventData<T>, orderId: string) =>
  createEvent(type, data, { correlationId: orderId, cause: null, now: new Date() });

/**
 * Runs a step as Pub/Sub would call it (through the same wrapper the deployed function uses) and returns what it
 * published; what it sends to its dead-letter topic is kept in `deadLetters`.
 */
export function stepRunner<N extends FunctionName>(name: N, handler: StepHandler<Consumes<N>>, options: { timeoutMs?: number } = {}) {
  const published: Envelope[] = [];
  const deadLetters: { cause: string; error: string }[] = [];
  const run = pubsubStep(name, () => handler, {
    publish: async (e) => void published.push(e),
    sendToDeadLetters: async (_fn, _message, reason) => void deadLetters.push(reason),
    log: createLogger({ level: 'silent' }),
    timeoutMs: options.timeoutMs ?? 10_000,
    faults: () => parseFaults(undefined),
  });
  return {
    published,
    deadLetters,
    /** Delivers an envelope (or any payload) once; resolves to what this delivery published. */
    async deliver(payload: unknown): Promise<Envelope[]> {
      const before = published.length;
      await run(cloudEventOf(payload, (payload as { type?: string } | null)?.type ?? 'test'));
      return published.slice(before);
    },
  };
}
