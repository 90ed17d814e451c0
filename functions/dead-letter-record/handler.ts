import type { CloudEvent } from '@google-cloud/functions-framework';
import type { Knex } from 'knex';
import { z } from 'zod';
import { DeadLetterCause, functionOfDeadLetterTopic, type FunctionName } from '../../schemas/index.ts';
import { deadLetterAttributes, topicOfSource } from '../lib/dead-letters.ts';
import { recordDeadLetter, type NewDeadLetter } from '../lib/db/dead-letters.repository.ts';
import { markAttention, withOrderLock } from '../lib/db/orders.repository.ts';
import { stableId } from '../lib/ids.ts';
import type { Logger } from '../lib/logger.ts';
import type { StepFailure, StepLedger } from '../lib/step-ledger.ts';

/** The parts of an envelope an operator needs, read leniently (a poison message may have none of them). */
const Loose = z.object({
  type: z.string().optional(),
  metadata: z.object({ eventId: z.string().optional(), correlationId: z.uuid().optional() }).partial().optional(),
});

/** A Pub/Sub message as functions-framework hands it over. */
interface PushedMessage {
  data?: string;
  messageId?: string;
  attributes?: Record<string, string>;
  publishTime?: string;
}

/**
 * Reads what is known about a dead-lettered message: which function gave it up and why, the event inside, and the
 * topic it came from (named by our own attribute, or by Pub/Sub's source subscription `<function>.<topic>`).
 */
export function describeDeadLetter(fn: FunctionName, message: PushedMessage, failure: StepFailure | null, now: Date): NewDeadLetter {
  const attributes = message.attributes ?? {};
  const data = message.data ?? '';
  let parsed: z.infer<typeof Loose> = {};
  try {
    parsed = Loose.catch({}).parse(JSON.parse(Buffer.from(data, 'base64').toString('utf8')));
  } catch {
    // Not JSON: a poison message; it is kept as it came.
  }
  const sourceSubscription = attributes.CloudPubSubDeadLetterSourceSubscription?.split('/').pop();
  const topicFromSubscription = sourceSubscription?.startsWith(`${fn}.`) ? sourceSubscription.slice(fn.length + 1) : null;
  const cause = DeadLetterCause.catch('max_attempts').parse(attributes[deadLetterAttributes.cause] ?? 'max_attempts');
  const deliveries = Number(attributes.CloudPubSubDeadLetterSourceDeliveryCount);
  return {
    id: stableId('dead-letter', fn, message.messageId ?? data),
    function: fn,
    topic: attributes[deadLetterAttributes.sourceTopic] ?? topicFromSubscription ?? parsed.type ?? null,
    cause,
    eventType: parsed.type ?? null,
    eventId: parsed.metadata?.eventId ?? null,
    orderId: parsed.metadata?.correlationId ?? null,
    attempts: Number.isFinite(deliveries) && deliveries > 0 ? deliveries : (failure?.attempts ?? (cause === 'max_attempts' ? null : 1)),
    lastError: attributes[deadLetterAttributes.error] ?? failure?.lastError ?? null,
    data,
    attributes,
    firstFailedAt: failure?.firstFailedAt ?? null,
    deadLetteredAt: message.publishTime ? new Date(message.publishTime) : now,
  };
}

/**
 * Records every message a function gave up (after its last attempt, or at once when it can never succeed) and marks
 * its order NEEDS_ATTENTION, so an operator sees it, and can replay or discard it. Recording twice changes nothing.
 */
export function createDeadLetterRecorder(deps: { db: Knex; ledgers: StepLedger[]; log: () => Logger; clock?: () => Date }) {
  return async (ce: CloudEvent<unknown>): Promise<void> => {
    const log = deps.log();
    const now = deps.clock?.() ?? new Date();
    const topic = topicOfSource(ce.source);
    const fn = topic ? functionOfDeadLetterTopic(topic) : null;
    const message = (ce.data as { message?: PushedMessage } | undefined)?.message ?? {};
    if (!fn) {
      log.error({ source: ce.source }, 'a message from a topic that is no dead-letter topic of ours; acknowledged');
      return;
    }
    const eventId = (() => {
      try {
        return Loose.parse(JSON.parse(Buffer.from(message.data ?? '', 'base64').toString('utf8'))).metadata?.eventId ?? null;
      } catch {
        return null;
      }
    })();
    let failure: StepFailure | null = null;
    for (const store of eventId ? deps.ledgers : []) failure ??= await store.failures(fn, eventId!);
    const letter = describeDeadLetter(fn, message, failure, now);
    // The letter and its order's NEEDS_ATTENTION commit together: nobody sees one without the other.
    const fresh = letter.orderId
      ? await withOrderLock(deps.db, letter.orderId, async (trx, order) => {
          const inserted = await recordDeadLetter(trx, letter);
          if (order) await markAttention(trx, order, { reason: 'dead_letter', detail: `${fn} gave up on ${letter.eventType ?? 'a message'}: ${letter.lastError ?? letter.cause}`, now });
          return inserted;
        })
      : await recordDeadLetter(deps.db, letter);
    log.error(
      { deadLetterId: letter.id, fn, topic: letter.topic, cause: letter.cause, eventType: letter.eventType, orderId: letter.orderId, attempts: letter.attempts, lastError: letter.lastError, fresh },
      `dead letter from ${fn} recorded; see GET /v1/admin/dead-letters/${letter.id}`,
    );
  };
}
