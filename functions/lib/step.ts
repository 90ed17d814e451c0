import type { CloudEvent } from '@google-cloud/functions-framework';
import { parseEnvelope, consumedBy, functions, type Envelope, type EventType, type FunctionName } from '../../schemas/index.ts';
import { config } from './config.ts';
import { createDeadLetterSender, topicOfSource, type ReceivedMessage, type SendToDeadLetters } from './dead-letters.ts';
import { faults as configuredFaults, strikes, type Faults } from './faults.ts';
import { logger as rootLogger, type Logger } from './logger.ts';
import { sagaMetrics } from './metrics.ts';
import { publish as publishToPubSub, pubsub, type Publish } from './pubsub.ts';
import { withDeadline } from './resilience.ts';
import type { StepDelivery, StepLedger } from './step-ledger.ts';
import { contextOfAttributes, flushTelemetry, inSpan, ORDER_ID, SpanKind } from './telemetry.ts';

/** What a saga step gets besides its event: the time, a logger, a signal that aborts at the step's deadline, and the message's attributes. */
export interface StepContext {
  now: Date;
  log: Logger;
  signal: AbortSignal;
  attributes: Readonly<Record<string, string>>;
}

/** A saga step: given an event, do the work and return the events to publish. Throwing means "retry me". */
export type StepHandler<T extends EventType> = (event: Envelope<T>, ctx: StepContext) => Promise<Envelope[]>;

/** The event types a function consumes, as a type. */
export type Consumes<N extends FunctionName> = (typeof functions)[N] extends { consumes: readonly (infer E)[] }
  ? E & EventType
  : never;

/**
 * Thrown by a step for a message that can never succeed although it is well-formed (an event naming an order that
 * does not exist): the message goes to the dead-letter topic at once instead of being retried ten times.
 */
export class DeadLetterNow extends Error {
  readonly deadLetterCause = 'unknown_order' as const;
}

type Decoded<T extends EventType> =
  | { ok: true; envelope: Envelope<T>; messageId: string | undefined; message: ReceivedMessage }
  | { ok: false; error: string; messageId: string | undefined; message: ReceivedMessage };

/** Decodes the envelope inside a Pub/Sub CloudEvent; a message that can never be handled comes back as an error. */
export function decodeMessage<T extends EventType>(ce: Pick<CloudEvent<unknown>, 'id' | 'data' | 'source'>, types: readonly T[]): Decoded<T> {
  const raw = (ce.data as { message?: { data?: unknown; messageId?: string; attributes?: Record<string, string> } } | undefined)?.message;
  const messageId = raw?.messageId ?? ce.id;
  const message: ReceivedMessage = {
    data: typeof raw?.data === 'string' ? raw.data : '',
    attributes: raw?.attributes ?? {},
    topic: topicOfSource(ce.source),
  };
  if (typeof raw?.data !== 'string') return { ok: false, error: 'no base64 message data', messageId, message };
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(raw.data, 'base64').toString('utf8'));
  } catch {
    return { ok: false, error: 'message data is not JSON', messageId, message };
  }
  const parsed = parseEnvelope(value, types);
  return parsed.ok ? { ok: true, envelope: parsed.envelope, messageId, message } : { ok: false, error: parsed.error, messageId, message };
}

class StepTimeoutError extends Error {}

/** Runs `work` with a signal that aborts after `ms`; rejects at that moment whether or not the work notices. */
async function withTimeout<R>(work: (signal: AbortSignal) => Promise<R>, ms: number): Promise<R> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const err = new StepTimeoutError(`step did not finish within ${ms} ms`);
      controller.abort(err);
      reject(err);
    }, ms);
  });
  try {
    return await Promise.race([work(controller.signal), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** An injected hang: waits until the deadline aborts the step. */
const hangUntilAborted = (signal: AbortSignal) =>
  new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));

let deadLetterSender: SendToDeadLetters | undefined;
const sendToDeadLetters: SendToDeadLetters = (fn, message, reason) => (deadLetterSender ??= createDeadLetterSender(pubsub()))(fn, message, reason);

/** How a step function is wired; everything defaults to the process-wide clients and configuration. */
export interface StepOptions {
  publish?: Publish;
  sendToDeadLetters?: SendToDeadLetters;
  /** Where every delivery and its outcome is written down (the timeline, the dead-letter recorder's last error). */
  ledger?: () => StepLedger;
  log?: Logger;
  timeoutMs?: number;
  clock?: () => Date;
  faults?: () => Faults;
}

/**
 * Turns a step handler into a CloudEvent function: decode and validate the envelope (a poison message goes to the
 * dead-letter topic and is acknowledged), run the step under a deadline that aborts its calls, publish what it
 * returns, and throw on transient failure so Pub/Sub redelivers (remembering the error for the dead-letter record).
 */
export function pubsubStep<N extends FunctionName>(
  name: N,
  makeHandler: () => StepHandler<Consumes<N>>,
  options: StepOptions = {},
): (ce: CloudEvent<unknown>) => Promise<void> {
  const types = consumedBy(name) as readonly Consumes<N>[];
  const compensates = 'compensates' in functions[name];
  const deadLetter = options.sendToDeadLetters ?? sendToDeadLetters;
  let handler: StepHandler<Consumes<N>> | undefined;
  return async (ce) => {
    const log = options.log ?? rootLogger();
    const decoded = decodeMessage(ce, types);
    const attempt = (ce.data as { deliveryAttempt?: unknown } | undefined)?.deliveryAttempt;
    const attributes = {
      'messaging.system': 'gcp_pubsub',
      'messaging.destination.name': decoded.message.topic ?? '',
      'messaging.message.id': decoded.messageId ?? '',
      ...(typeof attempt === 'number' ? { 'messaging.gcp_pubsub.message.delivery_attempt': attempt } : {}),
      ...(decoded.ok ? { [ORDER_ID]: decoded.envelope.metadata.correlationId, 'saga.event_id': decoded.envelope.metadata.eventId } : {}),
    };
    const spanName = `${name} process ${decoded.ok ? decoded.envelope.type : 'unreadable message'}`;
    try {
      // Redeliveries and compensations carry the publisher's context, so every delivery is a span of the order's trace.
      await inSpan(spanName, { kind: SpanKind.CONSUMER, parent: contextOfAttributes(decoded.message.attributes), attributes }, async (span) => {
        if (!decoded.ok) {
          log.error({ messageId: decoded.messageId, poison: true, reason: decoded.error }, 'schema-invalid message sent to the dead-letter topic');
          await deadLetter(name, decoded.message, { cause: 'poison', error: decoded.error });
          return;
        }
        const { envelope } = decoded;
        const stepLog = log.child({
          orderId: envelope.metadata.correlationId,
          eventId: envelope.metadata.eventId,
          eventType: envelope.type,
          messageId: decoded.messageId,
        });
        const { traceId, spanId } = span.spanContext();
        const startedAt = options.clock?.() ?? new Date();
        const started = performance.now();
        const ms = () => Math.round(performance.now() - started);
        const record = async (outcome: Pick<StepDelivery, 'outcome' | 'error' | 'published'>) => {
          sagaMetrics.delivery({
            fn: name,
            eventType: envelope.type,
            outcome: outcome.outcome,
            ms: ms(),
            compensationMs: compensates ? Math.max(0, startedAt.getTime() + ms() - Date.parse(envelope.metadata.occurredAt)) : null,
          });
          if (!options.ledger) return;
          const delivery: StepDelivery = {
            fn: name,
            eventId: envelope.metadata.eventId,
            orderId: envelope.metadata.correlationId,
            attempt: typeof attempt === 'number' ? attempt : null,
            startedAt,
            ms: ms(),
            traceId,
            spanId,
            ...outcome,
          };
          await withDeadline(options.ledger().record(delivery), 2000, 'step ledger').catch((err: unknown) =>
            stepLog.warn({ err }, 'could not write the delivery down for the timeline and the dead-letter record'),
          );
        };
        handler ??= makeHandler();
        try {
          const hang = strikes((options.faults ?? configuredFaults)().hang, name);
          const outcome = await withTimeout(
            (signal) => (hang ? hangUntilAborted(signal) : handler!(envelope, { now: startedAt, log: stepLog, signal, attributes: decoded.message.attributes })),
            options.timeoutMs ?? config().HANDLER_TIMEOUT_MS,
          );
          await Promise.all(outcome.map(options.publish ?? publishToPubSub));
          await record({ outcome: 'handled', error: null, published: outcome.map((e) => e.metadata.eventId) });
          stepLog.info({ published: outcome.map((e) => e.type), ms: ms() }, `${envelope.type} handled`);
        } catch (err) {
          if (err instanceof DeadLetterNow) {
            stepLog.error({ reason: err.message }, `${envelope.type} can never succeed; sent to the dead-letter topic`);
            await record({ outcome: 'dead_lettered', error: err.message, published: [] });
            await deadLetter(name, decoded.message, { cause: err.deadLetterCause, error: err.message });
            return;
          }
          stepLog.warn({ err, ms: ms() }, `${envelope.type} failed; Pub/Sub will redeliver`);
          await record({ outcome: 'failed', error: err instanceof Error ? err.message : String(err), published: [] });
          throw err;
        }
      });
    } finally {
      if (config().TELEMETRY_FLUSH_EACH_REQUEST) await flushTelemetry();
    }
  };
}
