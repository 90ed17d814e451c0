import { useState } from 'preact/hooks';
import { api, describeProblem, money, type Schemas } from './api.ts';
import { usePoll } from './poll.ts';

type Order = Schemas['AdminOrderSummary'];
const statuses = ['', 'PENDING', 'CONFIRMED', 'CANCELLED', 'NEEDS_ATTENTION'] as const;
const reasons = ['', 'payment_declined', 'out_of_stock', 'capture_failed', 'timeout', 'cancelled_by_shop', 'dead_letter', 'release_failed'] as const;

const age = (iso: string) => {
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  return s < 60 ? `${s}s ago` : s < 3600 ? `${Math.round(s / 60)}m ago` : `${Math.round(s / 3600)}h ago`;
};

/** Orders as they flow, newest first, read again every half second; filter by status and reason, open one. */
export function Orders(props: { selected: string | null; onOpen: (id: string) => void }) {
  const [status, setStatus] = useState<(typeof statuses)[number]>('');
  const [reason, setReason] = useState<(typeof reasons)[number]>('');
  const orders = usePoll(
    async () => {
      const { data, error } = await api.GET('/v1/admin/orders', { params: { query: { limit: 50, ...(status ? { status } : {}), ...(reason ? { reason } : {}) } } });
      if (error) throw new Error(describeProblem(error));
      return data.items;
    },
    500,
    [status, reason],
  );
  return (
    <section class="panel orders">
      <header>
        <h2>Orders</h2>
        <label>
          status{' '}
          <select value={status} onChange={(e) => setStatus(e.currentTarget.value as typeof status)} data-testid="status-filter">
            {statuses.map((s) => (
              <option value={s}>{s || 'any'}</option>
            ))}
          </select>
        </label>
        <label>
          reason{' '}
          <select value={reason} onChange={(e) => setReason(e.currentTarget.value as typeof reason)}>
            {reasons.map((r) => (
              <option value={r}>{r || 'any'}</option>
            ))}
          </select>
        </label>
        <span class="live" title="read again every half second">● live</span>
      </header>
      {orders.error && <p class="error">{orders.error}</p>}
      <table>
        <thead>
          <tr>
            <th>order</th>
            <th>customer</th>
            <th>status</th>
            <th>reason</th>
            <th class="num">total</th>
            <th>placed</th>
          </tr>
        </thead>
        <tbody>
          {(orders.value ?? []).map((o: Order) => (
            <tr key={o.id} data-order={o.id} class={o.id === props.selected ? 'selected' : ''} onClick={() => props.onOpen(o.id)}>
              <td class="mono">{o.id.slice(0, 8)}</td>
              <td>{o.customerId}</td>
              <td>
                <span class={`badge ${o.status}`}>{o.status}</span>
              </td>
              <td>{o.cancellationReason ?? o.attentionReason ?? ''}</td>
              <td class="num">{money(o.total)}</td>
              <td title={o.createdAt}>{age(o.createdAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {orders.value?.length === 0 && <p class="muted">No orders yet: place one through the API.</p>}
    </section>
  );
}
