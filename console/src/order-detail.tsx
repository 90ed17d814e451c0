import { useState } from 'preact/hooks';
import { api, describeProblem, idempotencyKey, money, type Schemas, type Span, type TimelineEntry } from './api.ts';
import { usePoll } from './poll.ts';

interface Bar {
  id: string;
  label: string;
  service: string;
  start: number;
  ms: number;
  depth: number;
  kind: 'request' | 'step' | 'compensation' | 'call';
  error: string | null;
}

/** Steps (consumer spans) and the request as rows, each with the calls made inside it nested below. */
export function barsOfSpans(spans: Span[], compensating: ReadonlySet<string>): Bar[] {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  // The audit subscriber's deliveries are bookkeeping: drawn as calls under the step whose publish they follow.
  const isStep = (s: Span) =>
    (s.kind === 'consumer' && s.service !== 'saga-audit') || (s.kind === 'server' && s.parentSpanId === null) || /^(saga-watchdog|admin-api) /.test(s.name);
  const stepOf = (s: Span): Span | undefined => {
    for (let at = s.parentSpanId ? byId.get(s.parentSpanId) : undefined; at; at = at.parentSpanId ? byId.get(at.parentSpanId) : undefined) if (isStep(at)) return at;
    return undefined;
  };
  const steps = spans.filter(isStep).sort((a, b) => a.startedAt.localeCompare(b.startedAt));
  const bar = (s: Span, depth: number, kind: Bar['kind']): Bar => ({ id: s.spanId, label: s.name, service: s.service, start: Date.parse(s.startedAt), ms: s.ms, depth, kind, error: s.error });
  return steps.flatMap((step) => [
    bar(step, 0, step.kind === 'server' ? 'request' : compensating.has(step.service) ? 'compensation' : 'step'),
    ...spans.filter((s) => !isStep(s) && stepOf(s) === step).map((s) => bar(s, 1, 'call')),
  ]);
}

/** Without spans (none exported yet, or the trace store unreachable), the timeline's deliveries make the waterfall. */
const barsOfTimeline = (entries: TimelineEntry[]): Bar[] =>
  entries.flatMap((e) =>
    e.kind === 'delivery'
      ? [{ id: `${e.function}-${e.at}`, label: `${e.function} process ${e.eventType ?? ''}`, service: e.function, start: Date.parse(e.at), ms: e.ms, depth: 0, kind: e.compensation ? 'compensation' : 'step', error: e.outcome === 'handled' ? null : (e.error ?? e.outcome) } as Bar]
      : [],
  );

function Waterfall(props: { bars: Bar[] }) {
  const [showCalls, setShowCalls] = useState(false);
  const bars = props.bars.filter((b) => showCalls || b.depth === 0);
  if (bars.length === 0) return <p class="muted">No spans yet.</p>;
  const t0 = Math.min(...bars.map((b) => b.start));
  const span = Math.max(1, Math.max(...bars.map((b) => b.start + b.ms)) - t0);
  return (
    <div class="waterfall" data-testid="waterfall">
      <label class="toggle">
        <input type="checkbox" checked={showCalls} onChange={(e) => setShowCalls(e.currentTarget.checked)} data-testid="show-calls" /> show each step’s calls (PostgreSQL, Firestore, provider, publish, audit)
      </label>
      {bars.map((b) => (
        <div class={`row depth${b.depth} ${b.kind}${b.error ? ' failed' : ''}`} data-kind={b.kind} data-failed={b.error ? 'true' : 'false'} title={b.error ?? `${b.ms.toFixed(1)} ms`}>
          <span class="name">
            {b.error ? '✗ ' : ''}
            {b.label}
          </span>
          <span class="track">
            <span class="bar" style={{ left: `${((b.start - t0) / span) * 100}%`, width: `${Math.max(0.4, (b.ms / span) * 100)}%` }} />
          </span>
          <span class="ms">
            +{Math.round(b.start - t0)} ms · {b.ms < 10 ? b.ms.toFixed(1) : Math.round(b.ms)} ms
          </span>
        </div>
      ))}
    </div>
  );
}

const describe = (e: TimelineEntry): string => {
  switch (e.kind) {
    case 'status':
      return `status ${e.status}${e.reason ? ` (${e.reason})` : ''}`;
    case 'event':
      return `${e.type} published by ${e.producer ?? 'the saga'}${e.afterCauseMs !== null ? `, ${e.afterCauseMs} ms after its cause` : ''}`;
    case 'delivery':
      return `${e.function} ${e.outcome} ${e.eventType ?? ''} (attempt ${e.attempt ?? '?'}, ${e.ms} ms, waited ${e.waitedMs ?? '?'} ms)${e.error ? `: ${e.error}` : ''}`;
    case 'dead_letter':
      return `dead letter at ${e.function} (${e.cause}, now ${e.status})${e.lastError ? `: ${e.lastError}` : ''}`;
    case 'operator':
      return `${e.actor}: ${e.action}${e.reason ? ` — “${e.reason}”` : ''}`;
    case 'notification':
      return `${e.channel === 'email' ? '✉ email' : '✆ text message'} ${e.template} ${e.status}`;
    default: {
      const unknown: never = e;
      return JSON.stringify(unknown);
    }
  }
};

/** One order: its summary, what an operator may do, its saga as a waterfall of spans, and its timeline. */
export function OrderDetail(props: { orderId: string; onClose: () => void }) {
  const [reason, setReason] = useState('');
  const [notice, setNotice] = useState<string | null>(null);
  // Three reads a poll: every 1.5 s keeps an open order and the live list within a caller's read quota (5 a second).
  const data = usePoll(
    async () => {
      const [order, timeline, trace] = await Promise.all([
        api.GET('/v1/orders/{orderId}', { params: { path: { orderId: props.orderId } } }),
        api.GET('/v1/orders/{orderId}/timeline', { params: { path: { orderId: props.orderId } } }),
        api.GET('/v1/admin/orders/{orderId}/trace', { params: { path: { orderId: props.orderId } } }),
      ]);
      if (order.error || timeline.error) throw new Error(describeProblem(order.error ?? timeline.error));
      return { order: order.data, timeline: timeline.data, trace: trace.data ?? null };
    },
    1500,
    [props.orderId],
  );
  const act = async (work: () => Promise<{ error?: unknown }>, done: string) => {
    const { error } = await work();
    setNotice(error ? describeProblem(error) : done);
    data.refresh();
  };
  if (!data.value) return <section class="panel detail">{data.error ? <p class="error">{data.error}</p> : <p class="muted">Loading…</p>}</section>;
  const { order, timeline, trace } = data.value;
  const entries = timeline.entries as TimelineEntry[];
  const compensating = new Set(entries.flatMap((e) => (e.kind === 'delivery' && e.compensation ? [e.function] : [])));
  const bars = trace && trace.spans.length > 0 ? barsOfSpans(trace.spans, compensating) : barsOfTimeline(entries);
  const t0 = entries[0] ? Date.parse(entries[0].at) : 0;
  const saga = (order as Schemas['Order']).attention?.sagaStatus ?? order.status;
  return (
    <section class="panel detail" data-testid="order-detail">
      <header>
        <h2>
          Order <span class="mono">{order.id}</span> <span class={`badge ${order.status}`}>{order.status}</span>
        </h2>
        <button class="link" onClick={props.onClose}>
          close
        </button>
      </header>
      <p>
        {money(order.total)} · {order.lines.length} line{order.lines.length === 1 ? '' : 's'}
        {order.cancellationReason ? ` · cancelled: ${order.cancellationReason}` : ''}
        {order.attention ? ` · needs attention: ${order.attention.detail}` : ''}
        {trace?.traceId ? (
          <>
            {' '}
            · trace <span class="mono">{trace.traceId}</span>
            {trace.traceUrl ? (
              <>
                {' '}
                <a href={trace.traceUrl} target="_blank" rel="noreferrer">
                  in Cloud Trace
                </a>
              </>
            ) : null}
          </>
        ) : null}
      </p>
      <div class="actions">
        {order.status === 'NEEDS_ATTENTION' && (
          <button onClick={() => act(() => api.POST('/v1/admin/orders/{orderId}/retry', { params: { path: { orderId: order.id }, header: idempotencyKey() } }), 'retried: its saga is driven on')}>
            Retry
          </button>
        )}
        {saga === 'PENDING' && (
          <form
            onSubmit={(e) => {
              e.preventDefault();
              void act(() => api.POST('/v1/admin/orders/{orderId}/cancel', { params: { path: { orderId: order.id }, header: idempotencyKey() }, body: { reason } }), 'cancelled: its compensations run and the customer is told');
            }}
          >
            <input placeholder="why cancel (kept in the timeline)" value={reason} required onInput={(e) => setReason(e.currentTarget.value)} data-testid="cancel-reason" />
            <button type="submit" class="danger">
              Cancel order
            </button>
          </form>
        )}
        {notice && <span class="notice">{notice}</span>}
      </div>
      <h3>Saga</h3>
      <Waterfall bars={bars} />
      <h3>Timeline</h3>
      <ol class="timeline" data-testid="timeline">
        {entries.map((e) => (
          <li class={`entry ${e.kind}${e.kind === 'delivery' && e.outcome !== 'handled' ? ' failed' : ''}${(e.kind === 'delivery' || e.kind === 'event') && e.compensation ? ' compensation' : ''}`}>
            <span class="at">+{Math.max(0, Date.parse(e.at) - t0)} ms</span> {describe(e)}
          </li>
        ))}
      </ol>
    </section>
  );
}
