import { describe, expect, it } from 'vitest';
import type { OrderTimeline, OrderTrace, SpanView, TimelineEntry } from '../../schemas/index.ts';
import { api, emailsTo, eventually, finalOrder, logLines, placeOrder, seedProduct, stack, tokenFor, unique } from '../support/saga.ts';

const admin = () => tokenFor(unique('ops'), { role: 'admin' });

/** The order's trace as the admin API answers it, once `done` holds for its spans. */
async function traceOf(orderId: string, done: (spans: SpanView[]) => boolean): Promise<OrderTrace> {
  const token = await admin();
  const res = await eventually(
    () => api(`/v1/admin/orders/${orderId}/trace`, { token }),
    (r) => r.status === 200 && done((r.body as unknown as OrderTrace).spans),
    20_000,
  );
  return res.body as unknown as OrderTrace;
}

const consumerSpan = (spans: SpanView[], fn: string, type: string) => spans.find((s) => s.kind === 'consumer' && s.name === `${fn} process ${type}` && s.error === null);

/** The chain of spans from `span` up to the root of its trace. */
function ancestors(spans: SpanView[], span: SpanView): SpanView[] {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const chain: SpanView[] = [];
  for (let at: SpanView | undefined = span; at; at = at.parentSpanId ? byId.get(at.parentSpanId) : undefined) chain.push(at);
  return chain;
}

const timeline = async (orderId: string, token: string) => (await api(`/v1/orders/${orderId}/timeline`, { token })) as unknown as { status: number; body: OrderTimeline | null };
const ofKind = <K extends TimelineEntry['kind']>(entries: TimelineEntry[], kind: K) => entries.filter((e): e is Extract<TimelineEntry, { kind: K }> => e.kind === kind);

const happyHops = [
  ['payment-authorize', 'order.placed'],
  ['inventory-reserve', 'payment.authorized'],
  ['payment-capture', 'inventory.reserved'],
  ['order-confirm', 'payment.captured'],
  ['notification-send', 'order.confirmed'],
] as const;

describe('one trace per order', () => {
  it('when an order is placed, then one trace holds the request and a span for every hop in causal order, with the order id, its database, Firestore and provider calls, and logs that name it', async () => {
    const product = await seedProduct({ available: 5 });
    const token = await tokenFor(unique('tess'));
    const email = `${unique('tess')}@example.com`;
    const orderId = await placeOrder(token, { items: [{ productId: product, quantity: 1 }], contact: { email } });
    expect((await finalOrder(orderId, token)).status).toBe('CONFIRMED');
    await eventually(() => emailsTo(email), (m) => m.length === 1);

    const trace = await traceOf(orderId, (spans) => happyHops.every(([fn, type]) => consumerSpan(spans, fn, type)));
    const { spans } = trace;
    expect(trace.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(new Set(spans.map((s) => s.traceId))).toEqual(new Set([trace.traceId]));

    const root = spans.find((s) => s.parentSpanId === null)!;
    expect(root).toMatchObject({ kind: 'server', name: 'POST /v1/orders', service: 'orders-api', attributes: expect.objectContaining({ 'saga.order_id': orderId }) });

    // Each hop descends from the one before it, through the publish of the event it consumed.
    const hops = happyHops.map(([fn, type]) => consumerSpan(spans, fn, type)!);
    let previous = root;
    for (const hop of hops) {
      expect(hop.attributes['saga.order_id']).toBe(orderId);
      expect(ancestors(spans, hop).map((s) => s.spanId), hop.name).toContain(previous.spanId);
      expect(hop.startedAt >= previous.startedAt, hop.name).toBe(true);
      previous = hop;
    }
    const inside = (hop: SpanView) => spans.filter((s) => s !== hop && ancestors(spans, s).includes(hop));
    expect(inside(hops[0]!).map((s) => s.name)).toEqual(expect.arrayContaining(['payment provider call', expect.stringMatching(/^pg\.query/)]));
    expect(inside(hops[1]!).filter((s) => s.service === 'inventory-reserve').map((s) => s.name)).toEqual(expect.arrayContaining(['BatchGetDocuments', 'Batch.Commit']));
    expect(inside(root).map((s) => s.name)).toEqual(expect.arrayContaining([expect.stringMatching(/order\.placed/)]));

    // Cloud Logging joins a step's log lines to this trace and span.
    const line = logLines('payment-capture').find((l) => l.orderId === orderId && String(l.message).endsWith('handled'));
    expect(line).toMatchObject({
      'logging.googleapis.com/trace': `projects/${stack.project}/traces/${trace.traceId}`,
      'logging.googleapis.com/spanId': hops[2]!.spanId,
    });
  });
});

describe('an order’s timeline', () => {
  it('when an order is confirmed, then its owner sees status, events and messages in order, an admin every delivery too, and nobody else anything', async () => {
    const product = await seedProduct({ available: 5 });
    const token = await tokenFor(unique('uma'));
    const email = `${unique('uma')}@example.com`;
    const orderId = await placeOrder(token, { items: [{ productId: product, quantity: 1 }], contact: { email } });
    await finalOrder(orderId, token);
    const full = await eventually(
      async () => (await timeline(orderId, await admin())).body!,
      (t) => ofKind(t.entries, 'event').some((e) => e.type === 'notification.sent') && ofKind(t.entries, 'notification').length > 0,
    );

    expect(full.view).toBe('full');
    expect(full.traceId).toMatch(/^[0-9a-f]{32}$/);
    const events = ofKind(full.entries, 'event');
    expect(events.map((e) => [e.type, e.producer])).toEqual([
      ['order.placed', 'orders-api'],
      ['payment.authorized', 'payment-authorize'],
      ['inventory.reserved', 'inventory-reserve'],
      ['payment.captured', 'payment-capture'],
      ['order.confirmed', 'order-confirm'],
      ['notification.sent', 'notification-send'],
    ]);
    for (const e of events.slice(1)) expect(e.afterCauseMs).toBeGreaterThanOrEqual(0);
    const deliveries = ofKind(full.entries, 'delivery');
    for (const [fn, type] of happyHops) {
      expect(deliveries.filter((d) => d.function === fn && d.eventType === type).map((d) => d.outcome), fn).toEqual(['handled']);
    }
    expect(deliveries.every((d) => d.waitedMs !== null && d.waitedMs >= 0 && d.compensation === false)).toBe(true);
    const at = full.entries.map((e) => e.at);
    expect([...at].sort()).toEqual(at);

    const mine = (await timeline(orderId, token)).body!;
    expect(mine.view).toBe('customer');
    expect(new Set(mine.entries.map((e) => e.kind))).toEqual(new Set(['status', 'event', 'notification']));
    expect(ofKind(mine.entries, 'status').map((s) => s.status)).toEqual(['PENDING', 'CONFIRMED']);
    expect(ofKind(mine.entries, 'event').every((e) => e.producer === null)).toBe(true);
    expect(mine.traceId).toBeNull();

    expect((await timeline(orderId, await tokenFor(unique('mallory')))).status).toBe(404);
  });

  it('when the card is declined, then the timeline shows the cancellation and each compensation, and the trace holds them', async () => {
    const product = await seedProduct({ available: 5 });
    const token = await tokenFor(unique('vic'));
    const orderId = await placeOrder(token, { items: [{ productId: product, quantity: 1 }], payment: { method: 'pm_card_chargeDeclined' } });
    expect(await finalOrder(orderId, token)).toMatchObject({ status: 'CANCELLED', cancellationReason: 'payment_declined' });
    const compensations = ['payment-release', 'inventory-release', 'notification-send'];
    const full = await eventually(
      async () => (await timeline(orderId, await admin())).body!,
      (t) => compensations.every((fn) => ofKind(t.entries, 'delivery').some((d) => d.function === fn && d.eventType === 'order.cancelled')),
    );
    const cancelled = ofKind(full.entries, 'event').find((e) => e.type === 'order.cancelled')!;
    expect(cancelled).toMatchObject({ producer: 'order-cancel', compensation: true });
    expect(ofKind(full.entries, 'status').map((s) => [s.status, s.reason])).toEqual([
      ['PENDING', null],
      ['CANCELLED', 'payment_declined'],
    ]);
    const released = ofKind(full.entries, 'delivery').filter((d) => d.eventType === 'order.cancelled');
    expect(released.filter((d) => d.function !== 'notification-send').every((d) => d.compensation && d.outcome === 'handled')).toBe(true);

    const trace = await traceOf(orderId, (spans) => compensations.every((fn) => consumerSpan(spans, fn, 'order.cancelled')));
    const cancelSpan = consumerSpan(trace.spans, 'order-cancel', 'payment.failed')!;
    for (const fn of compensations) {
      expect(ancestors(trace.spans, consumerSpan(trace.spans, fn, 'order.cancelled')!).map((s) => s.spanId)).toContain(cancelSpan.spanId);
    }
  });
});

describe('saga metrics', () => {
  interface Point { service: string; name: string; attributes: Record<string, unknown>; value?: number; histogram?: { count: number } }
  const points = async () => ((await (await fetch(`${stack.telemetry}/metrics`)).json()) as { points: Point[] }).points;

  it('when orders finish, then outcomes, saga and step latency, attempts and the backlog gauges reach the metrics exporter', async () => {
    const product = await seedProduct({ available: 5 });
    const token = await tokenFor(unique('wes'));
    const confirmed = await placeOrder(token, { items: [{ productId: product, quantity: 1 }] });
    const declined = await placeOrder(token, { items: [{ productId: product, quantity: 1 }], payment: { method: 'pm_card_chargeDeclined' } });
    await finalOrder(confirmed, token);
    await finalOrder(declined, token);
    const has = (all: Point[], name: string, match: (p: Point) => boolean = () => true) => all.some((p) => p.name === name && match(p));
    const all = await eventually(
      points,
      // Each function exports on its own timer: wait for the last of the points the checks below read.
      (ps) =>
        has(ps, 'saga.orders.finished', (p) => p.attributes.reason === 'payment_declined') &&
        has(ps, 'saga.compensation.latency', (p) => p.attributes.function === 'payment-release') &&
        has(ps, 'saga.step.deliveries', (p) => p.attributes.function === 'order-confirm' && p.attributes.outcome === 'handled') &&
        has(ps, 'saga.outbox.lag'),
      30_000,
    );
    expect(all.find((p) => p.name === 'saga.orders.finished' && p.attributes.outcome === 'confirmed')?.value).toBeGreaterThanOrEqual(1);
    expect(all.find((p) => p.name === 'saga.order.duration' && p.attributes.outcome === 'confirmed')?.histogram?.count).toBeGreaterThanOrEqual(1);
    expect(all.find((p) => p.name === 'saga.step.duration' && p.service === 'payment-authorize' && p.attributes.outcome === 'handled')?.histogram?.count).toBeGreaterThanOrEqual(2);
    expect(has(all, 'saga.step.deliveries', (p) => p.attributes.function === 'order-confirm' && p.attributes.outcome === 'handled')).toBe(true);
    expect(has(all, 'saga.compensation.latency', (p) => p.attributes.function === 'payment-release')).toBe(true);
    for (const gauge of ['saga.dead_letters.open', 'saga.orders.needing_attention', 'saga.orders.pending', 'saga.outbox.lag']) {
      expect(all.find((p) => p.name === gauge && p.service === 'saga-watchdog')?.value, gauge).toBeGreaterThanOrEqual(0);
    }
  });
});
