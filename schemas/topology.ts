import { orderEventTypes, type EventType } from './events.ts';

/** How a push subscription retries and when it gives a message up to its dead-letter topic. */
export interface DeliveryPolicy {
  /** Seconds Pub/Sub waits for an answer before it redelivers. */
  ackDeadlineSeconds: number;
  /** Backoff between redeliveries of a nacked message. */
  retry: { minimumBackoffSeconds: number; maximumBackoffSeconds: number };
  /** Deliveries before the message goes to the dead-letter topic (Pub/Sub allows 5-100). */
  maxDeliveryAttempts: number;
}

/**
 * What a function talks to besides Pub/Sub. The deploy derives each function's roles, environment and secrets from
 * it: `postgres` (Cloud SQL, IAM login), `firestore`, `images` (the product image bucket), `payments` (Stripe's key),
 * `smtp` (the SMTP URL with its credentials), `sms` (the SMS provider's key), `redis` (Memorystore, when enabled),
 * `traces` (reads spans back from Cloud Trace). Every function writes spans and metrics.
 */
export type Dependency = 'postgres' | 'firestore' | 'images' | 'catalog-snapshots' | 'payments' | 'smtp' | 'sms' | 'redis' | 'traces';

/** How a function runs in production: its size, how many requests an instance takes, how far it scales. */
export interface Capacity {
  memory: '256Mi' | '512Mi' | '1Gi' | '2Gi';
  cpu: number;
  /** Requests one instance serves at once. */
  concurrency: number;
  maxInstances: number;
  minInstances: number;
  timeoutSeconds: number;
  /** PostgreSQL connections per instance (DB_POOL_MAX); the deploy checks instances × pool against Cloud SQL. */
  dbPool: number;
  /** Keep CPU between requests (Firestore listeners must hear changes while idle). */
  alwaysOnCpu: boolean;
}

/** What every function of a kind shares. */
interface Common {
  description: string;
  publishes: readonly EventType[];
  /** Publishes besides its own events: what the outbox holds (the sweeper), or any event a dead letter holds (replays). */
  republishes?: 'outbox' | 'dead-letters';
  uses: readonly Dependency[];
  capacity?: Partial<Capacity>;
}

/**
 * A deployable function: an HTTP API, a step that consumes topics, a job run on a schedule, or the recorder of
 * every dead-letter topic. `publishes` lists the event types it creates (HTTP functions and jobs through the outbox).
 */
export type FunctionSpec =
  | (Common & { trigger: 'http'; routes: readonly string[] })
  | (Common & { trigger: 'topic'; consumes: readonly EventType[]; compensates?: true; delivery?: Partial<DeliveryPolicy> })
  | (Common & {
      trigger: 'schedule';
      /** Cloud Scheduler's cron expression in production. */
      schedule: string;
      /** How often the local runner calls it (Cloud Scheduler's finest grain is a minute). */
      localEverySeconds: number;
    })
  | (Common & { trigger: 'dead-letters' });

/** The capacity every function gets unless its row says otherwise. */
export const defaultCapacity: Capacity = {
  memory: '256Mi',
  cpu: 1,
  concurrency: 20,
  maxInstances: 3,
  minInstances: 0,
  timeoutSeconds: 60,
  dbPool: 3,
  alwaysOnCpu: false,
};

/** Delivery policy every subscription gets unless its function overrides it. */
export const defaultDelivery: DeliveryPolicy = {
  ackDeadlineSeconds: 30,
  retry: { minimumBackoffSeconds: 1, maximumBackoffSeconds: 60 },
  maxDeliveryAttempts: 10,
};

/** The saga's topology: every function, what triggers it and what it publishes. Everything else derives from this. */
export const functions = {
  'orders-api': {
    trigger: 'http',
    description: 'Place orders (through the outbox) and read the caller’s orders.',
    routes: ['/v1/orders'],
    publishes: ['order.placed'],
    uses: ['postgres', 'firestore'],
    capacity: { maxInstances: 5, concurrency: 40, dbPool: 5 },
  },
  'catalog-api': {
    trigger: 'http',
    description: 'Search and browse products with their available stock; admins create and change them.',
    routes: ['/v1/products'],
    publishes: ['catalog.product.changed'],
    // PostgreSQL holds the rate-limit counters when there is no Redis.
    uses: ['firestore', 'images', 'catalog-snapshots', 'redis', 'postgres'],
    capacity: { memory: '512Mi', maxInstances: 5, concurrency: 80, minInstances: 1, alwaysOnCpu: true, dbPool: 1 },
  },
  'admin-api': {
    trigger: 'http',
    description: 'Operate the saga: orders, traces, dead letters (list, replay, discard, in bulk with a dry run), retrying and cancelling orders.',
    routes: ['/v1/admin'],
    publishes: ['order.placed', 'order.confirmed', 'order.cancelled'],
    republishes: 'dead-letters',
    uses: ['postgres', 'firestore', 'traces'],
    capacity: { maxInstances: 1 },
  },
  'api-docs': {
    trigger: 'http',
    description: 'The API’s contract (its OpenAPI document and a reference page rendered from it) and the saga console’s files.',
    routes: ['/v1/openapi.json', '/docs', '/console'],
    publishes: [],
    uses: [],
    capacity: { maxInstances: 2 },
  },
  'payment-authorize': {
    trigger: 'topic',
    description: 'Authorize the stored order’s total on the customer’s card (held, not captured).',
    consumes: ['order.placed'],
    publishes: ['payment.authorized', 'payment.failed'],
    uses: ['postgres', 'payments'],
  },
  'inventory-reserve': {
    trigger: 'topic',
    description: 'Reserve stock for every line of an authorized order, all or nothing.',
    consumes: ['payment.authorized'],
    publishes: ['inventory.reserved', 'inventory.reservation_failed'],
    uses: ['firestore'],
  },
  'inventory-release': {
    trigger: 'topic',
    description: 'Put the stock of a cancelled order back on sale, and keep a late reservation from taking any.',
    consumes: ['order.cancelled'],
    publishes: ['inventory.released'],
    compensates: true,
    uses: ['firestore'],
  },
  'payment-capture': {
    trigger: 'topic',
    description: 'Capture the authorized payment once stock is reserved.',
    consumes: ['inventory.reserved'],
    publishes: ['payment.captured', 'payment.capture_failed'],
    uses: ['postgres', 'payments'],
  },
  'payment-release': {
    trigger: 'topic',
    description: 'Give a cancelled order’s money back: void an open authorization, refund a capture.',
    consumes: ['order.cancelled'],
    publishes: ['payment.voided', 'payment.refunded'],
    compensates: true,
    uses: ['postgres', 'payments'],
  },
  'order-confirm': {
    trigger: 'topic',
    description: 'Mark a paid and reserved order confirmed.',
    consumes: ['payment.captured'],
    publishes: ['order.confirmed'],
    uses: ['postgres'],
    // A few statements under the order's lock: two connections keep up, and leave Cloud SQL room for more functions.
    capacity: { dbPool: 2 },
  },
  'order-cancel': {
    trigger: 'topic',
    description: 'Cancel an order that cannot be fulfilled; its compensations follow from order.cancelled.',
    consumes: ['payment.failed', 'inventory.reservation_failed', 'payment.capture_failed'],
    publishes: ['order.cancelled'],
    compensates: true,
    uses: ['postgres'],
    capacity: { dbPool: 2 },
  },
  'notification-send': {
    trigger: 'topic',
    description: 'Tell the customer by email, and by SMS when a phone is given: once per order, template and channel.',
    consumes: ['order.confirmed', 'order.cancelled'],
    publishes: ['notification.sent', 'notification.failed'],
    uses: ['postgres', 'smtp', 'sms'],
  },
  'saga-audit': {
    trigger: 'topic',
    description: 'Write down every event of every order’s saga (who published it, when, in which trace) for the order’s timeline.',
    consumes: orderEventTypes,
    publishes: [],
    uses: ['postgres'],
    capacity: { concurrency: 40, maxInstances: 2, dbPool: 1 },
  },
  'dead-letter-record': {
    trigger: 'dead-letters',
    description: 'Record every dead-lettered or poison message and mark its order NEEDS_ATTENTION.',
    publishes: [],
    uses: ['postgres', 'firestore'],
    capacity: { maxInstances: 1, dbPool: 2 },
  },
  'outbox-sweep': {
    trigger: 'schedule',
    description: 'Publish outbox rows the relay did not (Pub/Sub was down, the process died after the commit).',
    schedule: '* * * * *',
    localEverySeconds: 2,
    publishes: [],
    republishes: 'outbox',
    uses: ['postgres', 'firestore'],
    capacity: { maxInstances: 1, concurrency: 1, dbPool: 2 },
  },
  'saga-watchdog': {
    trigger: 'schedule',
    description: 'Nudge stalled sagas and cancel orders past their deadline (reason timeout).',
    schedule: '* * * * *',
    localEverySeconds: 3,
    publishes: ['order.placed', 'order.cancelled', 'order.confirmed'],
    uses: ['postgres', 'firestore'],
    capacity: { maxInstances: 1, concurrency: 1, dbPool: 2 },
  },
  'saga-reconcile': {
    trigger: 'schedule',
    description: 'Check the books (money, stock, emails) and log every discrepancy at alert severity.',
    schedule: '17 * * * *',
    localEverySeconds: 600,
    publishes: [],
    uses: ['postgres', 'firestore', 'payments'],
    capacity: { memory: '512Mi', maxInstances: 1, concurrency: 1, dbPool: 2, timeoutSeconds: 540 },
  },
} as const satisfies Record<string, FunctionSpec>;

export type FunctionName = keyof typeof functions;
export const functionNames = Object.keys(functions) as FunctionName[];

/** Topics that no function consumes keep an audit subscription so their messages are never dropped. */
export const AUDIT_SUBSCRIPTION_SUFFIX = '.audit';

/** One push subscription: a topic delivered to a function. */
export interface SubscriptionSpec {
  name: string;
  topic: string;
  function: FunctionName;
  /** Where a message goes after its last attempt; the dead-letter recorder's own subscriptions have none. */
  deadLetterTopic: string | null;
  delivery: DeliveryPolicy;
}

/** The dead-letter topic of a consuming function; it has a pull subscription of the same name. */
export const deadLetterTopicOf = (fn: FunctionName) => `dead-letter.${fn}`;

/** The function whose dead-letter topic this is, or null. */
export function functionOfDeadLetterTopic(topic: string): FunctionName | null {
  const name = topic.startsWith('dead-letter.') ? topic.slice('dead-letter.'.length) : '';
  return (functionNames as string[]).includes(name) ? (name as FunctionName) : null;
}

const specOf = (fn: FunctionName): FunctionSpec => functions[fn];

/** Functions that consume saga topics (and so have a dead-letter topic). */
export const stepFunctions = (): FunctionName[] => functionNames.filter((fn) => specOf(fn).trigger === 'topic');

/** Every push subscription in the topology, derived from `functions`. */
export function subscriptions(): SubscriptionSpec[] {
  return functionNames.flatMap((name): SubscriptionSpec[] => {
    const spec = specOf(name);
    if (spec.trigger === 'topic') {
      const delivery: DeliveryPolicy = { ...defaultDelivery, ...spec.delivery };
      return spec.consumes.map((topic) => ({ name: `${name}.${topic}`, topic, function: name, deadLetterTopic: deadLetterTopicOf(name), delivery }));
    }
    if (spec.trigger === 'dead-letters') {
      // Retried until recorded: a dead letter of a dead letter would have nowhere to go.
      return stepFunctions().map((fn) => ({
        name: `${name}.${deadLetterTopicOf(fn)}`,
        topic: deadLetterTopicOf(fn),
        function: name,
        deadLetterTopic: null,
        delivery: defaultDelivery,
      }));
    }
    return [];
  });
}

/** The event types a function consumes (empty for functions that are not saga steps). */
export function consumedBy(fn: FunctionName): readonly EventType[] {
  const spec = specOf(fn);
  return spec.trigger === 'topic' ? spec.consumes : [];
}

/** Scheduled functions with their schedules. */
export function scheduledFunctions(): { name: FunctionName; schedule: string; localEverySeconds: number }[] {
  return functionNames.flatMap((name) => {
    const spec = specOf(name);
    return spec.trigger === 'schedule' ? [{ name, schedule: spec.schedule, localEverySeconds: spec.localEverySeconds }] : [];
  });
}

/** The functions-framework signature a function is served with. */
export const signatureOf = (fn: FunctionName): 'http' | 'cloudevent' => {
  const trigger = specOf(fn).trigger;
  return trigger === 'topic' || trigger === 'dead-letters' ? 'cloudevent' : 'http';
};

/** A function's capacity: its row's, over the defaults. */
export const capacityOf = (fn: FunctionName): Capacity => ({ ...defaultCapacity, ...specOf(fn).capacity });

/** What a function talks to besides Pub/Sub. */
export const usesOf = (fn: FunctionName): readonly Dependency[] => specOf(fn).uses;

/**
 * Every topic a function publishes to: its own events, its dead-letter topic (a step sends what can never succeed
 * there itself), what the outbox holds (the sweeper publishes the outbox of every function that writes one), or any
 * topic a dead letter came from (replays).
 */
export function publishTopicsOf(fn: FunctionName): string[] {
  const consumed = [...new Set(subscriptions().filter((s) => s.deadLetterTopic !== null).map((s) => s.topic))];
  const own = (name: FunctionName): string[] => {
    const spec = specOf(name);
    return [...spec.publishes, ...(spec.trigger === 'topic' ? [deadLetterTopicOf(name)] : []), ...(spec.republishes === 'dead-letters' ? consumed : [])];
  };
  const outboxWriters = functionNames.filter((other) => specOf(other).republishes !== 'outbox' && ['http', 'schedule'].includes(specOf(other).trigger));
  const topics = specOf(fn).republishes === 'outbox' ? outboxWriters.flatMap(own) : own(fn);
  return [...new Set(topics)].sort();
}
