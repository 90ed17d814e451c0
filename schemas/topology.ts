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

/** A deployable function: either an HTTP API or a step that consumes topics. */
export type FunctionSpec =
  | { trigger: 'http'; description: string; routes: readonly string[]; publishes: readonly EventType[] }
  | {
      trigger: 'topic';
      description: string;
      consumes: readonly EventType[];
      publishes: readonly EventType[];
      compensates?: true;
      delivery?: Partial<DeliveryPolicy>;
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
    description: 'Place orders and read the caller’s orders.',
    routes: ['/v1/orders'],
    publishes: ['order.placed'],
  },
  'catalog-api': {
    trigger: 'http',
    description: 'Search and browse products with their available stock; admins create and change them.',
    routes: ['/v1/products'],
    publishes: ['catalog.product.changed'],
  },
  'payment-charge': {
    trigger: 'topic',
    description: 'Charge the customer through the payment provider.',
    consumes: ['order.placed'],
    publishes: ['payment.charged', 'payment.failed'],
  },
  'payment-refund': {
    trigger: 'topic',
    description: 'Refund a captured payment when the order cannot be fulfilled.',
    consumes: ['inventory.reservation_failed'],
    publishes: ['payment.refunded'],
    compensates: true,
  },
  'inventory-reserve': {
    trigger: 'topic',
    description: 'Reserve stock for every line of a paid order, all or nothing.',
    consumes: ['payment.charged'],
    publishes: ['inventory.reserved', 'inventory.reservation_failed'],
  },
  'order-confirm': {
    trigger: 'topic',
    description: 'Mark a paid and reserved order confirmed.',
    consumes: ['inventory.reserved'],
    publishes: ['order.confirmed'],
  },
  'order-cancel': {
    trigger: 'topic',
    description: 'Cancel an order whose payment failed or was refunded.',
    consumes: ['payment.failed', 'payment.refunded'],
    publishes: ['order.cancelled'],
    compensates: true,
  },
  'notification-send': {
    trigger: 'topic',
    description: 'Tell the customer by email, and by SMS when a phone is given.',
    consumes: ['order.confirmed', 'order.cancelled'],
    publishes: ['notification.sent'],
  },
} as const satisfies Record<string, FunctionSpec>;

export type FunctionName = keyof typeof functions;
export const functionNames = Object.keys(functions) as FunctionName[];

/** Topics that no function consumes keep an audit subscription so their messages are never dropped. */
export const AUDIT_SUBSCRIPTION_SUFFIX = '.audit';

/** One push subscription: a topic delivered to a function. */
export interface SubscriptionSpec {
  name: string;
  topic: EventType;
  function: FunctionName;
  deadLetterTopic: string;
  delivery: DeliveryPolicy;
}

/** The dead-letter topic of a consuming function; it has a pull subscription of the same name. */
export const deadLetterTopicOf = (fn: FunctionName) => `dead-letter.${fn}`;

/** Every push subscription in the topology, derived from `functions`. */
export function subscriptions(): SubscriptionSpec[] {
  return functionNames.flatMap((name) => {
    const spec: FunctionSpec = functions[name];
    if (spec.trigger !== 'topic') return [];
    const delivery: DeliveryPolicy = { ...defaultDelivery, ...spec.delivery };
    return spec.consumes.map((topic) => ({
      name: `${name}.${topic}`,
      topic,
      function: name,
      deadLetterTopic: deadLetterTopicOf(name),
      delivery,
    }));
  });
}

/** The event types a function consumes (empty for HTTP functions). */
export function consumedBy(fn: FunctionName): readonly EventType[] {
  const spec: FunctionSpec = functions[fn];
  return spec.trigger === 'topic' ? spec.consumes : [];
}
