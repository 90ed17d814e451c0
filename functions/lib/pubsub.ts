import { PubSub, type Topic } from '@google-cloud/pubsub';
import type { Envelope } from '../../schemas/index.ts';
import { config } from './config.ts';

/** Publishes envelopes to the topic named after their type. */
export type Publish = (event: Envelope) => Promise<void>;

/** Creates a publisher that sends each message at once (no batching delay) with its ids as attributes. */
export function createPublisher(pubsub: PubSub): Publish {
  const topics = new Map<string, Topic>();
  const topicOf = (name: string) => {
    let topic = topics.get(name);
    if (!topic) {
      topic = pubsub.topic(name, { batching: { maxMessages: 1 } });
      topics.set(name, topic);
    }
    return topic;
  };
  return async (event) => {
    await topicOf(event.type).publishMessage({
      data: Buffer.from(JSON.stringify(event)),
      attributes: {
        type: event.type,
        eventId: event.metadata.eventId,
        correlationId: event.metadata.correlationId,
      },
    });
  };
}

let client: PubSub | undefined;

/** The process-wide Pub/Sub client; it talks to the emulator when PUBSUB_EMULATOR_HOST is set. */
export function pubsub(): PubSub {
  client ??= new PubSub({ projectId: config().GOOGLE_CLOUD_PROJECT });
  return client;
}

let publisher: Publish | undefined;

/** The process-wide publisher, created on first use. */
export function publish(event: Envelope): Promise<void> {
  publisher ??= createPublisher(pubsub());
  return publisher(event);
}
