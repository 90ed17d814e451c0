import { useState } from 'preact/hooks';
import { usePoll } from './poll.ts';

type Proxies = Record<string, { mode: 'pass' | 'refuse' | 'hang'; connections: number }>;
type PaymentFaults = { failureRate: number; latencyMs: number; hang: boolean; declineRate: number };

const read = async <T,>(path: string): Promise<T> => {
  const res = await fetch(path);
  if (!res.ok) throw new Error(`${path} answered ${res.status}`);
  return (await res.json()) as T;
};
const send = (path: string, method: 'PUT' | 'POST', body: unknown) => fetch(path, { method, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

/** The local stack's fault switches (absent in production): make a dependency refuse or hang, make cards decline. */
export function Faults() {
  const [notice, setNotice] = useState<string | null>(null);
  const proxies = usePoll(() => read<Proxies>('/_local/faults'), 2000, []);
  const payments = usePoll(() => read<PaymentFaults>('/_local/payment-faults'), 2000, []);
  if (proxies.error) return <section class="panel"><p class="muted">Fault switches exist only in the local stack (npm run dev).</p></section>;
  const setProxy = async (name: string, mode: string) => {
    await send(`/_local/faults/${name}`, 'PUT', { mode });
    setNotice(`${name}: ${mode}`);
    proxies.refresh();
  };
  const setPayments = async (patch: Partial<PaymentFaults>) => {
    await send('/_local/payment-faults', 'POST', patch);
    setNotice(`payments: ${JSON.stringify(patch)}`);
    payments.refresh();
  };
  return (
    <section class="panel">
      <header>
        <h2>Faults (local stack)</h2>
        {notice && <span class="notice">{notice}</span>}
      </header>
      <h3>Payments</h3>
      <p>
        <label>
          cards declined{' '}
          <select value={String(payments.value?.declineRate ?? 0)} onChange={(e) => setPayments({ declineRate: Number(e.currentTarget.value) })} data-testid="decline-rate">
            {[0, 0.25, 0.5, 1].map((r) => (
              <option value={String(r)}>{r * 100}%</option>
            ))}
          </select>
        </label>{' '}
        <label>
          provider errors (503){' '}
          <select value={String(payments.value?.failureRate ?? 0)} onChange={(e) => setPayments({ failureRate: Number(e.currentTarget.value) })}>
            {[0, 0.2, 0.5, 1].map((r) => (
              <option value={String(r)}>{r * 100}%</option>
            ))}
          </select>
        </label>
      </p>
      <p class="muted">Declined cards cancel their orders: watch the compensations (void, stock back, the customer told) in each order’s waterfall.</p>
      <h3>Dependencies</h3>
      <table>
        <tbody>
          {Object.entries(proxies.value ?? {}).map(([name, state]) => (
            <tr>
              <td>{name}</td>
              <td>
                {(['pass', 'refuse', 'hang'] as const).map((mode) => (
                  <label class="radio">
                    <input type="radio" name={name} checked={state.mode === mode} onChange={() => setProxy(name, mode)} /> {mode}
                  </label>
                ))}
              </td>
              <td class="muted">{state.connections} connections</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
