import { PubSub, type Topic } from '@google-cloud/pubsub';
import type { Envelope } from '../../schemas/index.ts';
import { config } from './config.ts';
import { withDeadline } from './resilience.ts';
import { SpanKind, inSpan, messageTraceAttributes } from './telemetry.ts';

/** Publishes envelopes to the topic named after their type. */
export type Publish = (event: Envelope) => Promise<void>;

/**
 * Creates a publisher that sends each message at once (no batching delay) with its ids, its producer (the
 * function publishing it) and the trace context of its publish span as attributes, and gives up after `timeoutMs`
 * (the client's default is to retry for ten minutes), so callers fail fast and retry later.
 */
export function createPublisher(pubsub: PubSub, options: { timeoutMs: number; producer?: string }): Publish {
  const topics = new Map<string, Topic>();
  const topicOf = (name: string) => {
    let topic = topics.get(name);
    if (!topic) {
      topic = pubsub.topic(name, { batching: { maxMessages: 1 }, gaxOpts: { timeout: options.timeoutMs } });
      topics.set(name, topic);
    }
    return topic;
  };
  return (event) =>
    inSpan(`${event.type} publish`, { kind: SpanKind.PRODUCER, attributes: { 'messaging.system': 'gcp_pubsub', 'messaging.destination.name': event.type, 'messaging.operation.type': 'send' } }, async () => {
      const sent = topicOf(event.type).publishMessage({
        data: Buffer.from(JSON.stringify(event)),
        attributes: {
          type: event.type,
          eventId: event.metadata.eventId,
          correlationId: event.metadata.correlationId,
          ...(options.producer ? { producer: options.producer } : {}),
          ...messageTraceAttributes(),
        },
      });
      await withDeadline(sent, options.timeoutMs * 2, 'Pub/Sub');
    });
}

let client: PubSub | undefined;

/**
 * The process-wide Pub/Sub client; it talks to the emulator when PUBSUB_EMULATOR_HOST is set. gRPC reconnects within
 * a few seconds after an outage instead of its default two minutes. The client's own tracing stays off: it made
 * several spans per message, a cost the bench's CPU profiles showed in every step; the publisher makes one and writes
 * its context where the client would have (`googclient_traceparent`), which the step wrapper continues.
 */
export function pubsub(): PubSub {
  client ??= new PubSub({
    projectId: config().GOOGLE_CLOUD_PROJECT,
    'grpc.initial_reconnect_backoff_ms': 250,
    'grpc.max_reconnect_backoff_ms': 2000,
  } as ConstructorParameters<typeof PubSub>[0]);
  return client;
}

let publisher: Publish | undefined;

/** The process-wide publisher, created on first use. */
export function publish(event: Envelope): Promise<void> {
  if (!publisher) {
    const producer = process.env.K_SERVICE ?? process.env.FUNCTION_TARGET;
    publisher = createPublisher(pubsub(), { timeoutMs: config().DEPENDENCY_TIMEOUT_MS, ...(producer ? { producer } : {}) });
  }
  return publisher(event);
}
