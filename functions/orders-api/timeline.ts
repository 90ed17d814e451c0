import { functions, type FunctionName, type TimelineEntry } from '../../schemas/index.ts';
import type { StepDelivery } from '../lib/step-ledger.ts';

/** What the saga recorded about one order, as the timeline reads it. */
export interface OrderFacts {
  history: { status: string; reason: string | null; at: Date }[];
  events: { eventId: string; type: string; causationId: string | null; producer: string | null; occurredAt: Date }[];
  deliveries: StepDelivery[];
  deadLetters: { id: string; function: string; eventType: string | null; cause: string; lastError: string | null; status: 'open' | 'replayed' | 'discarded'; at: Date }[];
  operatorActions: { action: string; actor: string; reason: string | null; at: Date }[];
  notifications: { channel: 'email' | 'sms'; template: string; status: string; at: Date }[];
}

const compensates = (fn: string | null) => fn !== null && fn in functions && 'compensates' in functions[fn as FunctionName];

/** The kinds of entry an order's owner sees; the full view has every kind. */
const customerKinds = new Set<TimelineEntry['kind']>(['status', 'event', 'notification']);

/**
 * Puts an order's facts in time order: status changes, the saga's events (with the time since the event they
 * followed from), every delivery to a step (with how long the event waited for it), dead letters, operator actions
 * and messages to the customer. The customer view keeps status changes, events and messages, without producers.
 */
export function buildTimeline(facts: OrderFacts, view: 'customer' | 'full'): TimelineEntry[] {
  const occurred = new Map(facts.events.map((e) => [e.eventId, e]));
  const ms = (from: Date | undefined, to: Date) => (from ? Math.max(0, Math.round(to.getTime() - from.getTime())) : null);
  const entries: (TimelineEntry & { sortAt: number; order: number })[] = [];
  const add = (entry: TimelineEntry, at: Date, order: number) => entries.push({ ...entry, sortAt: at.getTime(), order });

  for (const h of facts.history) add({ kind: 'status', at: h.at.toISOString(), status: h.status as never, reason: h.reason }, h.at, 0);
  for (const e of facts.events) {
    add(
      {
        kind: 'event',
        at: e.occurredAt.toISOString(),
        eventId: e.eventId,
        type: e.type,
        producer: view === 'full' ? e.producer : null,
        causationId: e.causationId,
        afterCauseMs: e.causationId ? ms(occurred.get(e.causationId)?.occurredAt, e.occurredAt) : null,
        compensation: compensates(e.producer) || e.type === 'order.cancelled',
      },
      e.occurredAt,
      1,
    );
  }
  // Pub/Sub's push does not say which attempt a delivery is (functions-framework drops deliveryAttempt): count them.
  const seen = new Map<string, number>();
  for (const d of [...facts.deliveries].sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime())) {
    const key = `${d.fn} ${d.eventId}`;
    const ordinal = (seen.get(key) ?? 0) + 1;
    seen.set(key, ordinal);
    const event = occurred.get(d.eventId);
    add(
      {
        kind: 'delivery',
        at: d.startedAt.toISOString(),
        function: d.fn,
        eventId: d.eventId,
        eventType: event?.type ?? null,
        attempt: d.attempt ?? ordinal,
        outcome: d.outcome,
        error: d.error,
        ms: d.ms,
        waitedMs: ms(event?.occurredAt, d.startedAt),
        compensation: compensates(d.fn),
        spanId: d.spanId,
      },
      d.startedAt,
      2,
    );
  }
  for (const l of facts.deadLetters) {
    add({ kind: 'dead_letter', at: l.at.toISOString(), deadLetterId: l.id, function: l.function, eventType: l.eventType, cause: l.cause, lastError: l.lastError, status: l.status }, l.at, 3);
  }
  for (const a of facts.operatorActions) add({ kind: 'operator', at: a.at.toISOString(), action: a.action, actor: a.actor, reason: a.reason }, a.at, 4);
  for (const n of facts.notifications) add({ kind: 'notification', at: n.at.toISOString(), channel: n.channel, template: n.template, status: n.status }, n.at, 5);

  return entries
    .filter((e) => view === 'full' || customerKinds.has(e.kind))
    .sort((a, b) => a.sortAt - b.sortAt || a.order - b.order)
    .map(({ sortAt: _at, order: _order, ...entry }) => entry as TimelineEntry);
}
