import { cloudEvent, type CloudEvent } from '@google-cloud/functions-framework';
import { PubSub } from '@google-cloud/pubsub';

// The benchmark's baseline step: a function that does nothing but republish what it got to NEXT_TOPIC.
const topic = new PubSub({ projectId: process.env.GOOGLE_CLOUD_PROJECT }).topic(process.env.NEXT_TOPIC!, { batching: { maxMessages: 1 } });

cloudEvent(process.env.FUNCTION_TARGET!, async (ce: CloudEvent<unknown>) => {
  const message = (ce.data as { message: { data: string; attributes?: Record<string, string> } }).message;
  await topic.publishMessage({ data: Buffer.from(message.data, 'base64'), attributes: message.attributes ?? {} });
});
