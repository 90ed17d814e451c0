import type { PubSub } from '@google-cloud/pubsub';
import {
  AUDIT_SUBSCRIPTION_SUFFIX,
  deadLetterTopicOf,
  eventTypes,
  functionNames,
  functions,
  subscriptions,
  type FunctionName,
} from '../../schemas/index.ts';

const ALREADY_EXISTS = 6;

async function ignoreExisting(work: Promise<unknown>): Promise<void> {
  try {
    await work;
  } catch (err) {
    if ((err as { code?: number }).code !== ALREADY_EXISTS) throw err;
  }
}

/** The topics and subscriptions the topology table asks for, as plain names (for docs and checks). */
export function plannedResources() {
  const consumers = functionNames.filter((fn) => functions[fn].trigger === 'topic');
  const consumed = new Set(subscriptions().map((s) => s.topic));
  return {
    topics: [...eventTypes, ...consumers.map(deadLetterTopicOf)],
    pushSubscriptions: subscriptions(),
    pullSubscriptions: [
      ...consumers.map((fn) => ({ name: deadLetterTopicOf(fn), topic: deadLetterTopicOf(fn) })),
      ...eventTypes.filter((t) => !consumed.has(t)).map((t) => ({ name: `${t}${AUDIT_SUBSCRIPTION_SUFFIX}`, topic: t })),
    ],
  };
}

/**
 * Creates every topic, dead-letter topic (with a pull subscription so nothing is lost) and push subscription of the
 * topology on a Pub/Sub server; `endpointOf` says where each function listens. Existing resources are kept.
 */
export async function createTopology(pubsub: PubSub, project: string, endpointOf: (fn: FunctionName, topic: string) => string): Promise<void> {
  const plan = plannedResources();
  await Promise.all(plan.topics.map((t) => ignoreExisting(pubsub.createTopic(t))));
  await Promise.all([
    ...plan.pullSubscriptions.map((s) => ignoreExisting(pubsub.topic(s.topic).createSubscription(s.name))),
    ...plan.pushSubscriptions.map((s) =>
      ignoreExisting(
        pubsub.topic(s.topic).createSubscription(s.name, {
          pushConfig: { pushEndpoint: endpointOf(s.function, s.topic) },
          ackDeadlineSeconds: s.delivery.ackDeadlineSeconds,
          retryPolicy: {
            minimumBackoff: { seconds: s.delivery.retry.minimumBackoffSeconds },
            maximumBackoff: { seconds: s.delivery.retry.maximumBackoffSeconds },
          },
          deadLetterPolicy: {
            deadLetterTopic: `projects/${project}/topics/${s.deadLetterTopic}`,
            maxDeliveryAttempts: s.delivery.maxDeliveryAttempts,
          },
        }),
      ),
    ),
  ]);
}
