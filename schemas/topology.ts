import type { EventType } from './events.ts';

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
 * A deployable function: an HTTP API, a step that consumes topics, a job run on a schedule, or the recorder of
 * every dead-letter topic. `publishes` lists the event types it creates (HTTP functions and jobs through the outbox).
 */
export type FunctionSpec =
  | { trigger: 'http'; description: string; routes: readonly string[]; publishes: readonly EventType[] }
  | {
      trigger: 'topic';
      description: string;
      consumes: readonly EventType[];
      publishes: readonly EventType[];
      compensates?: true;
      delivery?: Partial<DeliveryPolicy>;
    }
  | {
      trigger: 'schedule';
      description: string;
      /** Cloud Scheduler's cron expression in production. */
      schedule: string;
      /** How often the local runner calls it (Cloud Scheduler's finest grain is a minute). */
      localEverySeconds: number;
      publishes: readonly EventType[];
    }
  | { trigger: 'dead-letters'; description: string; publishes: readonly EventType[] };

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
  },
  'catalog-api': {
    trigger: 'http',
    description: 'Search and browse products with their available stock; admins create and change them.',
    routes: ['/v1/products'],
    publishes: ['catalog.product.changed'],
  },
  'admin-api': {
    trigger: 'http',
    description: 'Operate the saga: dead letters (list, replay, discard) and retrying an order’s pending work.',
    routes: ['/v1/admin'],
    publishes: [],
  },
  'payment-authorize': {
    trigger: 'topic',
    description: 'Authorize the stored order’s total on the customer’s card (held, not captured).',
    consumes: ['order.placed'],
    publishes: ['payment.authorized', 'payment.failed'],
  },
  'inventory-reserve': {
    trigger: 'topic',
    description: 'Reserve stock for every line of an authorized order, all or nothing.',
    consumes: ['payment.authorized'],
    publishes: ['inventory.reserved', 'inventory.reservation_failed'],
  },
  'inventory-release': {
    trigger: 'topic',
    description: 'Put the stock of a cancelled order back on sale, and keep a late reservation from taking any.',
    consumes: ['order.cancelled'],
    publishes: ['inventory.released'],
    compensates: true,
  },
  'payment-capture': {
    trigger: 'topic',
    description: 'Capture the authorized payment once stock is reserved.',
    consumes: ['inventory.reserved'],
    publishes: ['payment.captured', 'payment.capture_failed'],
  },
  'payment-release': {
    trigger: 'topic',
    description: 'Give a cancelled order’s money back: void an open authorization, refund a capture.',
    consumes: ['order.cancelled'],
    publishes: ['payment.voided', 'payment.refunded'],
    compensates: true,
  },
  'order-confirm': {
    trigger: 'topic',
    description: 'Mark a paid and reserved order confirmed.',
    consumes: ['payment.captured'],
    publishes: ['order.confirmed'],
  },
  'order-cancel': {
    trigger: 'topic',
    description: 'Cancel an order that cannot be fulfilled; its compensations follow from order.cancelled.',
    consumes: ['payment.failed', 'inventory.reservation_failed', 'payment.capture_failed'],
    publishes: ['order.cancelled'],
    compensates: true,
  },
  'notification-send': {
    trigger: 'topic',
    description: 'Tell the customer by email, and by SMS when a phone is given: once per order, template and channel.',
    consumes: ['order.confirmed', 'order.cancelled'],
    publishes: ['notification.sent', 'notification.failed'],
  },
  'dead-letter-record': {
    trigger: 'dead-letters',
    description: 'Record every dead-lettered or poison message and mark its order NEEDS_ATTENTION.',
    publishes: [],
  },
  'outbox-sweep': {
    trigger: 'schedule',
    description: 'Publish outbox rows the relay did not (Pub/Sub was down, the process died after the commit).',
    schedule: '* * * * *',
    localEverySeconds: 2,
    publishes: [],
  },
  'saga-watchdog': {
    trigger: 'schedule',
    description: 'Nudge stalled sagas and cancel orders past their deadline (reason timeout).',
    schedule: '* * * * *',
    localEverySeconds: 3,
    publishes: ['order.placed', 'order.cancelled', 'order.confirmed'],
  },
  'saga-reconcile': {
    trigger: 'schedule',
    description: 'Check the books (money, stock, emails) and log every discrepancy at alert severity.',
    schedule: '17 * * * *',
    localEverySeconds: 600,
    publishes: [],
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
