import type { CloudEvent } from '@google-cloud/functions-framework';
import { parseEnvelope, consumedBy, type Envelope, type EventType, type FunctionName, type functions } from '../../schemas/index.ts';
import { config } from './config.ts';
import { logger as rootLogger, type Logger } from './logger.ts';
import { publish as publishToPubSub, type Publish } from './pubsub.ts';

/** What a saga step gets besides its event. */
export interface StepContext {
  now: Date;
  log: Logger;
}

/** A saga step: given an event, do the work and return the events to publish. Throwing means "retry me". */
export type StepHandler<T extends EventType> = (event: Envelope<T>, ctx: StepContext) => Promise<Envelope[]>;

/** The event types a function consumes, as a type. */
export type Consumes<N extends FunctionName> = (typeof functions)[N] extends { consumes: readonly (infer E)[] }
  ? E & EventType
  : never;

type Decoded<T extends EventType> =
  | { ok: true; envelope: Envelope<T>; messageId: string | undefined }
  | { ok: false; error: string; messageId: string | undefined };

/** Decodes the envelope inside a Pub/Sub CloudEvent; a message that can never be handled comes back as an error. */
export function decodeMessage<T extends EventType>(ce: Pick<CloudEvent<unknown>, 'id' | 'data'>, types: readonly T[]): Decoded<T> {
  const message = (ce.data as { message?: { data?: unknown; messageId?: string } } | undefined)?.message;
  const messageId = message?.messageId ?? ce.id;
  if (typeof message?.data !== 'string') return { ok: false, error: 'no base64 message data', messageId };
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(message.data, 'base64').toString('utf8'));
  } catch {
    return { ok: false, error: 'message data is not JSON', messageId };
  }
  const parsed = parseEnvelope(value, types);
  return parsed.ok ? { ok: true, envelope: parsed.envelope, messageId } : { ok: false, error: parsed.error, messageId };
}

class StepTimeoutError extends Error {}

async function withTimeout<R>(work: Promise<R>, ms: number): Promise<R> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StepTimeoutError(`step did not finish within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Turns a step handler into a CloudEvent function: decode and validate the envelope (a poison message is logged and
 * acknowledged), run the step under a deadline, publish what it returns, and throw on transient failure so Pub/Sub
 * redelivers.
 */
export function pubsubStep<N extends FunctionName>(
  name: N,
  makeHandler: () => StepHandler<Consumes<N>>,
  options: { publish?: Publish; log?: Logger; timeoutMs?: number; clock?: () => Date } = {},
): (ce: CloudEvent<unknown>) => Promise<void> {
  const types = consumedBy(name) as readonly Consumes<N>[];
  let handler: StepHandler<Consumes<N>> | undefined;
  return async (ce) => {
    const log = options.log ?? rootLogger();
    const decoded = decodeMessage(ce, types);
    if (!decoded.ok) {
      log.error({ messageId: decoded.messageId, poison: true, reason: decoded.error }, 'schema-invalid message acknowledged without processing');
      return;
    }
    const { envelope } = decoded;
    const stepLog = log.child({
      orderId: envelope.metadata.correlationId,
      eventId: envelope.metadata.eventId,
      eventType: envelope.type,
      messageId: decoded.messageId,
    });
    handler ??= makeHandler();
    const started = performance.now();
    try {
      const now = options.clock?.() ?? new Date();
      const outcome = await withTimeout(
        handler(envelope, { now, log: stepLog }),
        options.timeoutMs ?? config().HANDLER_TIMEOUT_MS,
      );
      await Promise.all(outcome.map(options.publish ?? publishToPubSub));
      stepLog.info(
        { published: outcome.map((e) => e.type), ms: Math.round(performance.now() - started) },
        `${envelope.type} handled`,
      );
    } catch (err) {
      stepLog.warn({ err, ms: Math.round(performance.now() - started) }, `${envelope.type} failed; Pub/Sub will redeliver`);
      throw err;
    }
  };
}
