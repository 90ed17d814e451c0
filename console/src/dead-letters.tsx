import { useState } from 'preact/hooks';
import { api, describeProblem, idempotencyKey, type Schemas } from './api.ts';
import { usePoll } from './poll.ts';

type Letter = Schemas['DeadLetter'];
type Bulk = Schemas['BulkDeadLettersResult'];
type Select = { function?: string; eventType?: string; productId?: string; from?: string; to?: string };

const iso = (local: string) => (local ? new Date(local).toISOString() : undefined);

/** Dead letters: each one replayed or discarded, or those matching a query in bulk after a dry run. */
export function DeadLetters(props: { onOpenOrder: (id: string) => void }) {
  const [status, setStatus] = useState<'open' | 'replayed' | 'discarded'>('open');
  const [reason, setReason] = useState('');
  const [select, setSelect] = useState<Select>({});
  const [dryRun, setDryRun] = useState<Bulk | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const letters = usePoll(
    async () => {
      const { data, error } = await api.GET('/v1/admin/dead-letters', { params: { query: { status, limit: 50 } } });
      if (error) throw new Error(describeProblem(error));
      return data.items;
    },
    2000,
    [status],
  );
  // The time window is typed in local time and sent as instants.
  const chosen = Object.fromEntries(Object.entries(select).filter(([, v]) => v).map(([k, v]) => [k, k === 'from' || k === 'to' ? iso(v) : v])) as Select;
  const bulk = async (action: 'replay' | 'discard', dry: boolean) => {
    const { data, error } = await api.POST('/v1/admin/dead-letters/bulk', {
      params: { header: idempotencyKey() },
      body: { action, dryRun: dry, select: chosen as never, ...(reason ? { reason } : {}) } as never,
    });
    if (error) return setNotice(describeProblem(error));
    setDryRun(dry ? data : null);
    setNotice(dry ? null : `${data.items.filter((i) => i.outcome === 'replayed' || i.outcome === 'discarded').length} of ${data.matched} ${action === 'replay' ? 'replayed' : 'discarded'}`);
    letters.refresh();
  };
  const one = async (letter: Letter, action: 'replay' | 'discard') => {
    const { error } =
      action === 'replay'
        ? await api.POST('/v1/admin/dead-letters/{deadLetterId}/replay', { params: { path: { deadLetterId: letter.id }, header: idempotencyKey() } })
        : await api.POST('/v1/admin/dead-letters/{deadLetterId}/discard', { params: { path: { deadLetterId: letter.id }, header: idempotencyKey() }, body: { reason } });
    setNotice(error ? describeProblem(error) : `${letter.eventType ?? 'message'} ${action === 'replay' ? 'replayed' : 'discarded'}`);
    letters.refresh();
  };
  const field = (name: keyof Select, label: string) => {
    const onInput = (e: { currentTarget: HTMLInputElement }) => setSelect({ ...select, [name]: e.currentTarget.value });
    const testId = `select-${name}`;
    return (
      <label>
        {label}{' '}
        {name === 'from' || name === 'to' ? (
          <input type="datetime-local" value={select[name] ?? ''} onInput={onInput} data-testid={testId} />
        ) : (
          <input type="text" value={select[name] ?? ''} onInput={onInput} data-testid={testId} />
        )}
      </label>
    );
  };
  return (
    <section class="panel">
      <header>
        <h2>Dead letters</h2>
        <select value={status} onChange={(e) => setStatus(e.currentTarget.value as typeof status)}>
          <option value="open">open</option>
          <option value="replayed">replayed</option>
          <option value="discarded">discarded</option>
        </select>
        <input placeholder="reason (needed to discard)" value={reason} onInput={(e) => setReason(e.currentTarget.value)} data-testid="discard-reason" />
        {notice && <span class="notice" data-testid="notice">{notice}</span>}
      </header>
      {letters.error && <p class="error">{letters.error}</p>}
      <table>
        <thead>
          <tr>
            <th>when</th>
            <th>function</th>
            <th>event</th>
            <th>cause</th>
            <th>order</th>
            <th>last error</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {(letters.value ?? []).map((l) => (
            <tr key={l.id} data-letter={l.id}>
              <td>{new Date(l.deadLetteredAt).toLocaleTimeString()}</td>
              <td>{l.function}</td>
              <td>{l.eventType}</td>
              <td>{l.cause}</td>
              <td class="mono">{l.orderId ? <button class="link" onClick={() => props.onOpenOrder(l.orderId!)}>{l.orderId.slice(0, 8)}</button> : ''}</td>
              <td class="error-text">{l.lastError}</td>
              <td>
                {l.status === 'open' ? (
                  <>
                    <button onClick={() => one(l, 'replay')}>Replay</button> <button onClick={() => one(l, 'discard')} disabled={!reason}>Discard</button>
                  </>
                ) : (
                  l.status
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>In bulk</h3>
      <div class="bulk">
        {field('function', 'function')}
        {field('eventType', 'event type')}
        {field('productId', 'product')}
        {field('from', 'from')}
        {field('to', 'to')}
        <button onClick={() => bulk('replay', true)}>Dry run</button>
      </div>
      {dryRun && (
        <div class="dry-run" data-testid="dry-run">
          <p>
            {dryRun.matched === 1 ? '1 dead letter matches' : `${dryRun.matched} dead letters match`}. A replay would do again:{' '}
            {Object.entries(dryRun.totals).map(([kind, n]) => `${n} × ${kind}`).join(', ') || 'nothing (every effect already happened)'}
          </p>
          <ul>
            {dryRun.items.map((i) => (
              <li>
                {i.function} {i.eventType} {i.orderId?.slice(0, 8)}: {i.refused ?? (i.effects.map((e) => e.detail).join(', ') || 'nothing again')}
              </li>
            ))}
          </ul>
          <button onClick={() => bulk('replay', false)}>Replay {dryRun.matched}</button>{' '}
          <button class="danger" disabled={!reason} onClick={() => bulk('discard', false)}>
            Discard {dryRun.matched}
          </button>
        </div>
      )}
    </section>
  );
}
