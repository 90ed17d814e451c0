import type { PubSub } from '@google-cloud/pubsub';
import { deadLetterTopicOf, type DeadLetterCause, type FunctionName } from '../../schemas/index.ts';

/** Attributes a function adds when it dead-letters a message itself (Pub/Sub adds `CloudPubSubDeadLetterSource*`). */
export const deadLetterAttributes = {
  cause: 'sagaDeadLetterCause',
  error: 'sagaDeadLetterError',
  sourceTopic: 'sagaDeadLetterSourceTopic',
} as const;

/** A message as it arrived at a function: base64 data, attributes and the topic it came from. */
export interface ReceivedMessage {
  data: string;
  attributes: Record<string, string>;
  topic: string | null;
}

/**
 * Sends a message straight to the function's dead-letter topic, where the recorder keeps it for an operator: used for
 * messages that can never succeed (poison, or an event that matches no order), which retrying would only delay.
 */
export type SendToDeadLetters = (
  fn: FunctionName,
  message: ReceivedMessage,
  reason: { cause: Exclude<DeadLetterCause, 'max_attempts'>; error: string },
) => Promise<void>;

/** Creates a dead-letter sender on a Pub/Sub client. */
export function createDeadLetterSender(pubsub: PubSub): SendToDeadLetters {
  return async (fn, message, reason) => {
    // Pub/Sub would deliver a message with empty data unconverted; keep it readable as an empty JSON string.
    const data = message.data ? Buffer.from(message.data, 'base64') : Buffer.from('""');
    await pubsub.topic(deadLetterTopicOf(fn), { batching: { maxMessages: 1 } }).publishMessage({
      data,
      attributes: {
        ...message.attributes,
        [deadLetterAttributes.cause]: reason.cause,
        [deadLetterAttributes.error]: reason.error.slice(0, 1000),
        ...(message.topic ? { [deadLetterAttributes.sourceTopic]: message.topic } : {}),
      },
    });
  };
}

/** The topic named in a CloudEvent source such as `//pubsub.googleapis.com/projects/p/topics/order.placed`. */
export const topicOfSource = (source: string | undefined): string | null => /\/topics\/([^/]+)$/.exec(source ?? '')?.[1] ?? null;
