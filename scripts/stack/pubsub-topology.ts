import type { PubSub } from '@google-cloud/pubsub';
import { AUDIT_SUBSCRIPTION_SUFFIX, deadLetterTopicOf, eventTypes, stepFunctions, subscriptions, type FunctionName } from '../../schemas/index.ts';

const ALREADY_EXISTS = 6;

async function ignoreExisting(work: Promise<unknown>): Promise<void> {
  try {
    await work;
  } catch (err) {
    if ((err as { code?: number }).code !== ALREADY_EXISTS) throw err;
  }
}

/**
 * The topics and subscriptions the topology table asks for, as plain names (for docs and checks): every event type,
 * a dead-letter topic per saga step (pushed to the dead-letter recorder and kept in a pull subscription of the same
 * name), and an audit subscription on each event type nobody consumes.
 */
export function plannedResources() {
  const deadLetterTopics = stepFunctions().map(deadLetterTopicOf);
  const consumed = new Set(subscriptions().map((s) => s.topic));
  return {
    topics: [...eventTypes, ...deadLetterTopics],
    pushSubscriptions: subscriptions(),
    pullSubscriptions: [
      ...deadLetterTopics.map((topic) => ({ name: topic, topic })),
      ...eventTypes.filter((t) => !consumed.has(t)).map((t) => ({ name: `${t}${AUDIT_SUBSCRIPTION_SUFFIX}`, topic: t })),
    ],
  };
}

/**
 * Creates every topic, dead-letter topic (with a pull subscription so nothing is lost) and push subscription of the
 * topology on a Pub/Sub server; `endpointOf` says where each function listens. A subscription without a dead-letter
 * topic (the recorder's own) gets no dead-letter policy. Existing resources are kept.
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
          ...(s.deadLetterTopic === null
            ? {}
            : {
                deadLetterPolicy: {
                  deadLetterTopic: `projects/${project}/topics/${s.deadLetterTopic}`,
                  maxDeliveryAttempts: s.delivery.maxDeliveryAttempts,
                },
              }),
        }),
      ),
    ),
  ]);
}
