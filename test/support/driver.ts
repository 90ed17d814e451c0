import { randomUUID } from 'node:crypto';
import type { CloudEvent } from '@google-cloud/functions-framework';
import type { Knex } from 'knex';
import { afterAll, beforeAll } from 'vitest';
import { subscriptions, type Envelope, type FunctionName } from '../../schemas/index.ts';
import { drivingEvent } from '../../functions/admin-api/handler.ts';
import { createDeadLetterRecorder } from '../../functions/dead-letter-record/handler.ts';
import { createInventoryRelease } from '../../functions/inventory-release/handler.ts';
import { createInventoryReserve } from '../../functions/inventory-reserve/handler.ts';
import { createOrderCancel } from '../../functions/order-cancel/handler.ts';
import { createOrderConfirm } from '../../functions/order-confirm/handler.ts';
import { priceOrder } from '../../functions/orders-api/pricing.ts';
import { createPaymentAuthorize } from '../../functions/payment-authorize/handler.ts';
import { createPaymentCapture } from '../../functions/payment-capture/handler.ts';
import { createPaymentRelease } from '../../functions/payment-release/handler.ts';
import { createNotificationSend } from '../../functions/notification-send/handler.ts';
import { createWatchdog } from '../../functions/saga-watchdog/handler.ts';
import { getProducts } from '../../functions/lib/catalog.ts';
import { parseConfig } from '../../functions/lib/config.ts';
import { deadLetterAttributes, type ReceivedMessage } from '../../functions/lib/dead-letters.ts';
import { createDb } from '../../functions/lib/db/knex.ts';
import { migrateLatest } from '../../functions/lib/db/migrations.ts';
import { findDeadLetter, resolveDeadLetter } from '../../functions/lib/db/dead-letters.repository.ts';
import { insertOrder, refreshAttention, withOrderLock } from '../../functions/lib/db/orders.repository.ts';
import { createEvent } from '../../functions/lib/events.ts';
import { parseFaults } from '../../functions/lib/faults.ts';
import { createLogger } from '../../functions/lib/logger.ts';
import { createSmtpSender } from '../../functions/lib/notify/email.ts';
import { createHttpSmsSender } from '../../functions/lib/notify/sms.ts';
import { enqueue, relay } from '../../functions/lib/outbox.ts';
import { createStripeProvider, type PaymentProvider } from '../../functions/lib/payments/index.ts';
import { reconcile } from '../../functions/lib/reconcile.ts';
import { firestoreLedger, postgresLedger } from '../../functions/lib/step-ledger.ts';
import { pubsubStep, type StepHandler } from '../../functions/lib/step.ts';
import { startPaymentSimulator } from '../../scripts/providers/payment-simulator.ts';
import { startSmsSink } from '../../scripts/providers/sms-sink.ts';
import { dropDatabase, ensureDatabase } from '../../scripts/stack/postgres.ts';
import { paymentEffects } from './payments.ts';
import { firestore, stack, unique } from './saga.ts';

/** How a step misbehaves in a cell of the failure matrix. */
export type Fault =
  /** The first delivery of each message fails, the redelivery succeeds. */
  | 'transient'
  /** Every delivery fails: the message ends on the dead-letter topic. */
  | 'permanent'
  /** The first delivery waits past the step's deadline, then does its work anyway (a dependency that ignores aborts). */
  | 'slow'
  /** Each message is delivered twice, one after the other. */
  | 'twice'
  /** Each message is delivered twice at the same moment. */
  | 'concurrent'
  /** Messages are held back until `release()`: they arrive after what came later. */
  | 'late';

const silent = createLogger({ level: 'silent' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The saga's own infrastructure for one test file, in process: a database of its own (the running stack's watchdog
 * never sees these orders), a payment simulator, an SMS sink and the stack's maildev, Firestore emulator.
 */
export function useSagaWorld() {
  const world = {} as { db: Knex; provider: PaymentProvider; simulatorUrl: string; smsUrl: string; close(): Promise<void> };
  const adminUrl = new URL(stack.databaseUrl);
  adminUrl.pathname = '/postgres';
  const name = `saga_int_${randomUUID().slice(0, 8)}`;
  beforeAll(async () => {
    const url = await ensureDatabase(adminUrl.toString(), name);
    const db = createDb(parseConfig({ DATABASE_URL: url, DB_POOL_MAX: '10' }));
    await migrateLatest(db);
    const [simulator, sms] = await Promise.all([startPaymentSimulator(0), startSmsSink(0)]);
    const provider = createStripeProvider({ baseUrl: simulator.url, apiKey: 'sk_test_int', timeoutMs: 2000, attempts: 2, breaker: { consecutiveFailures: 50, halfOpenAfterMs: 1000 } });
    Object.assign(world, {
      db,
      provider,
      simulatorUrl: simulator.url,
      smsUrl: sms.url,
      close: async () => {
        await Promise.all([simulator.close(), sms.close(), db.destroy()]);
        await dropDatabase(adminUrl.toString(), name);
      },
    });
  });
  afterAll(() => world.close());
  return world;
}

type World = ReturnType<typeof useSagaWorld>;

/**
 * Runs the whole saga in process with Pub/Sub's delivery rules: every published event goes to each subscribed step
 * through the same wrapper the deployed function uses; a failed delivery is redelivered until its last attempt and
 * then handed to the dead-letter recorder. Faults make chosen steps misbehave.
 */
export function createDriver(world: World, options: { faults?: Partial<Record<FunctionName, Fault>>; timeoutMs?: number; maxAttempts?: number; deadlineSeconds?: number } = {}) {
  const timeoutMs = options.timeoutMs ?? 1500;
  const maxAttempts = options.maxAttempts ?? 5;
  const faults = options.faults ?? {};
  const { db, provider } = world;
  const fs = firestore();
  const queue: { fn: FunctionName; message: { data: string; messageId: string; attributes: Record<string, string> }; topic: string; attempt: number }[] = [];
  const held: typeof queue = [];
  const background = new Set<Promise<unknown>>();
  const attempts = new Map<string, number>();
  const deliveries: { fn: FunctionName; type: string; ok: boolean }[] = [];

  const publish = async (event: Envelope) => {
    const message = {
      data: Buffer.from(JSON.stringify(event)).toString('base64'),
      messageId: randomUUID(),
      attributes: { type: event.type, eventId: event.metadata.eventId, correlationId: event.metadata.correlationId },
    };
    for (const s of subscriptions().filter((sub) => sub.topic === event.type)) queue.push({ fn: s.function, message, topic: event.type, attempt: 1 });
  };

  const recorder = createDeadLetterRecorder({ db, ledgers: [postgresLedger(db), firestoreLedger(fs)], log: () => silent });
  const toRecorder = (fn: FunctionName, message: ReceivedMessage & { messageId: string }, attributes: Record<string, string>) =>
    recorder({
      id: randomUUID(),
      source: `//pubsub.googleapis.com/projects/${stack.project}/topics/dead-letter.${fn}`,
      data: { message: { data: message.data, messageId: randomUUID(), attributes: { ...message.attributes, ...attributes } } },
    } as unknown as CloudEvent<unknown>);

  const seen = new Map<string, number>();
  /** Wraps a handler with its fault. */
  function faulty<T extends Parameters<typeof pubsubStep>[0]>(fn: T, handler: StepHandler<never>): StepHandler<never> {
    return async (event, ctx) => {
      const fault = faults[fn as FunctionName];
      if (fault !== 'transient' && fault !== 'permanent' && fault !== 'slow') return handler(event, ctx);
      const key = `${fn}:${(event as Envelope).metadata.eventId}`;
      const n = (seen.get(key) ?? 0) + 1;
      seen.set(key, n);
      if (fault === 'permanent' || (fault === 'transient' && n === 1)) throw new Error(`injected ${fault} failure of ${fn}`);
      if (fault === 'slow' && n === 1) {
        const late = (async () => {
          await sleep(timeoutMs + 300);
          return handler(event, { ...ctx, signal: new AbortController().signal });
        })();
        background.add(late.catch(() => undefined));
        return late;
      }
      return handler(event, ctx);
    };
  }

  const sendEmail = createSmtpSender({ url: `smtp://127.0.0.1:${stack.smtpPort}`, from: 'Saga Commerce <orders@saga-commerce.dev>', timeoutMs: 3000 });
  const sendSms = createHttpSmsSender({ baseUrl: world.smsUrl, timeoutMs: 2000 });
  const factories: Partial<Record<FunctionName, () => StepHandler<never>>> = {
    'payment-authorize': () => createPaymentAuthorize({ db, provider }) as StepHandler<never>,
    'inventory-reserve': () => createInventoryReserve({ firestore: fs }) as StepHandler<never>,
    'payment-capture': () => createPaymentCapture({ db, provider }) as StepHandler<never>,
    'order-confirm': () => createOrderConfirm({ db }) as StepHandler<never>,
    'order-cancel': () => createOrderCancel({ db }) as StepHandler<never>,
    'payment-release': () => createPaymentRelease({ db, provider }) as StepHandler<never>,
    'inventory-release': () => createInventoryRelease({ firestore: fs }) as StepHandler<never>,
    'notification-send': () => createNotificationSend({ db, sendEmail, sendSms, leaseMs: timeoutMs * 4, maxSmsPerDay: 1000 }) as StepHandler<never>,
  };
  const steps = new Map(
    Object.entries(factories).map(([fn, make]) => [
      fn,
      pubsubStep(fn as 'payment-authorize', () => faulty(fn as 'payment-authorize', make()) as never, {
        publish,
        sendToDeadLetters: async (name, message, reason) => {
          await toRecorder(name, { ...message, messageId: randomUUID() }, { [deadLetterAttributes.cause]: reason.cause, [deadLetterAttributes.error]: reason.error, ...(message.topic ? { [deadLetterAttributes.sourceTopic]: message.topic } : {}) });
        },
        ledger: () => (fn.startsWith('inventory-') ? firestoreLedger(fs) : postgresLedger(db)),
        log: silent,
        timeoutMs,
        faults: () => parseFaults(undefined),
      }),
    ]),
  );

  async function deliverOne(item: (typeof queue)[number]): Promise<void> {
    const step = steps.get(item.fn);
    if (!step) return;
    const ce = { id: item.message.messageId, source: `//pubsub.googleapis.com/projects/${stack.project}/topics/${item.topic}`, data: { message: item.message } } as unknown as CloudEvent<unknown>;
    try {
      await step(ce);
      deliveries.push({ fn: item.fn, type: item.topic, ok: true });
    } catch {
      deliveries.push({ fn: item.fn, type: item.topic, ok: false });
      const key = `${item.fn}:${item.message.messageId}`;
      const n = (attempts.get(key) ?? 1) + 1;
      attempts.set(key, n);
      if (n > maxAttempts) {
        await toRecorder(item.fn, { ...item.message, topic: item.topic }, {
          CloudPubSubDeadLetterSourceDeliveryCount: String(maxAttempts),
          CloudPubSubDeadLetterSourceSubscription: `projects/${stack.project}/subscriptions/${item.fn}.${item.topic}`,
        });
      } else queue.push({ ...item, attempt: n });
    }
  }

  return {
    publish,
    deliveries,
    /** Places an order as the orders API does (priced from the catalog, stored with order.placed in the outbox). */
    async place(order: { items: { productId: string; quantity: number }[]; method?: string; contact?: { email: string; phone?: string }; deadlineSeconds?: number }) {
      const products = await getProducts(fs, order.items.map((i) => i.productId));
      const priced = priceOrder(order.items, products);
      if (!priced.ok) throw new Error(`cannot price ${JSON.stringify(order.items)}: ${priced.problem}`);
      const orderId = randomUUID();
      const now = new Date();
      const contact = order.contact ?? { email: `${unique('buyer')}@example.com` };
      const method = order.method ?? 'pm_card_visa';
      const placed = createEvent(
        'order.placed',
        { orderId, customerId: unique('cust'), total: priced.total, lines: priced.lines.map(({ productId, quantity, unitPrice }) => ({ productId, quantity, unitPrice })), payment: { method }, contact },
        { correlationId: orderId, cause: null, now },
      );
      const ids = await db.transaction(async (trx) => {
        await insertOrder(trx, {
          id: orderId, customerId: placed.data.customerId, total: priced.total, contact, lines: priced.lines, paymentMethod: method,
          deadlineAt: new Date(now.getTime() + (order.deadlineSeconds ?? options.deadlineSeconds ?? 600) * 1000), placedEventId: placed.metadata.eventId, now,
        });
        return enqueue(trx, [placed]);
      });
      await relay(db, publish, ids, silent);
      return { orderId, contact, total: priced.total };
    },
    /** Delivers everything queued (and what that publishes) until nothing is left. */
    async settle(): Promise<void> {
      for (;;) {
        const item = queue.shift();
        if (!item) {
          if (background.size === 0) return;
          await Promise.all([...background]);
          background.clear();
          continue;
        }
        if (faults[item.fn] === 'late') {
          held.push(item);
          continue;
        }
        if (faults[item.fn] === 'twice') {
          await deliverOne(item);
          await deliverOne({ ...item, attempt: 1 });
        } else if (faults[item.fn] === 'concurrent') {
          await Promise.all([deliverOne(item), deliverOne({ ...item, attempt: 1 })]);
        } else {
          await deliverOne(item);
        }
      }
    },
    /** Stops injecting a step's fault (the operator fixed what made it fail). */
    heal(fn: FunctionName): void {
      delete faults[fn];
    },
    /** Replays a dead letter as `POST /v1/admin/dead-letters/{id}/replay` does: the original event, same id. */
    async replay(deadLetterId: string): Promise<void> {
      const letter = await findDeadLetter(db, deadLetterId);
      if (!letter) throw new Error(`no dead letter ${deadLetterId}`);
      await db.transaction((trx) => resolveDeadLetter(trx, deadLetterId, { status: 'replayed', by: 'test', reason: null, now: new Date() }));
      if (letter.orderId) await withOrderLock(db, letter.orderId, async (trx, order) => order && refreshAttention(trx, order, new Date()));
      await publish(JSON.parse(Buffer.from(letter.rawData, 'base64').toString('utf8')) as Envelope);
    },
    /** Retries an order as `POST /v1/admin/orders/{id}/retry` does: its driving event, published again. */
    async retry(orderId: string): Promise<void> {
      const event = await withOrderLock(db, orderId, async (trx, order) => drivingEvent(trx, order!, new Date()));
      await publish(event);
    },
    /** Lets held-back messages arrive now (and nothing more is held). */
    release(): void {
      for (const fn of Object.keys(faults) as FunctionName[]) if (faults[fn] === 'late') delete faults[fn];
      queue.push(...held.splice(0));
    },
    /** Runs the saga watchdog once, as the scheduler would at `now`; what it republishes is queued. */
    async watchdog(now: Date, watch: { stallSeconds?: number } = {}) {
      return createWatchdog({ db, firestore: fs, publish, options: { stallSeconds: watch.stallSeconds ?? 3600, maxNudges: 5, limit: 50 } })({ now, log: silent });
    },
    /** The books of these orders, as `npm run reconcile` checks them. */
    reconcile: (orderIds: string[]) => reconcile({ db, firestore: fs, provider, now: new Date(), graceSeconds: 0, orderIds }),
  };
}

/** What the world's payment simulator holds for an order, counted by effect. */
export const moneyOf = (world: World, orderId: string) => paymentEffects(world.simulatorUrl, orderId);

/** Text messages the world's SMS sink took for a number. */
export async function textsTo(world: World, phone: string): Promise<unknown[]> {
  return ((await (await fetch(`${world.smsUrl}/v1/messages?to=${encodeURIComponent(phone)}`)).json()) as { data: unknown[] }).data;
}

/** Runs one step on an event, as a test's setup (so a function's tests never import another function). */
export async function runStep(world: World, fn: 'payment-authorize' | 'payment-capture' | 'inventory-reserve', event: Envelope): Promise<Envelope[]> {
  const fs = firestore();
  const handler =
    fn === 'payment-authorize'
      ? createPaymentAuthorize({ db: world.db, provider: world.provider })
      : fn === 'payment-capture'
        ? createPaymentCapture({ db: world.db, provider: world.provider })
        : createInventoryReserve({ firestore: fs });
  return (handler as StepHandler<never>)(event as never, { now: new Date(), log: silent, signal: new AbortController().signal, attributes: {} });
}
