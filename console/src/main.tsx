import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { setToken, signOut, takeTokenFromUrl, token } from './api.ts';
import { DeadLetters } from './dead-letters.tsx';
import { Faults } from './faults.tsx';
import { OrderDetail } from './order-detail.tsx';
import { Orders } from './orders.tsx';
import './style.css';

type Tab = 'orders' | 'dead-letters' | 'faults';

function SignIn(props: { onSignedIn: () => void }) {
  const [value, setValue] = useState('');
  return (
    <form
      class="panel signin"
      onSubmit={(e) => {
        e.preventDefault();
        setToken(value);
        props.onSignedIn();
      }}
    >
      <h2>Sign in</h2>
      <p>
        Paste an admin ID token. Locally: <code>npm run token -- --sub ops --role admin</code> (or open the console link <code>npm run dev</code> prints).
      </p>
      <textarea rows={4} value={value} onInput={(e) => setValue(e.currentTarget.value)} />
      <button type="submit">Sign in</button>
    </form>
  );
}

/** The saga console: orders flowing live, one order's saga, dead letters, and locally the fault switches. */
function Console() {
  const [signedIn, setSignedIn] = useState(token() !== null);
  const [tab, setTab] = useState<Tab>('orders');
  const [orderId, setOrderId] = useState<string | null>(new URLSearchParams(location.search).get('order'));
  useEffect(() => {
    const url = new URL(location.href);
    if (orderId) url.searchParams.set('order', orderId);
    else url.searchParams.delete('order');
    history.replaceState(null, '', url);
  }, [orderId]);
  if (!signedIn) return <SignIn onSignedIn={() => setSignedIn(true)} />;
  const open = (id: string) => {
    setOrderId(id);
    setTab('orders');
  };
  return (
    <>
      <nav>
        <h1>Saga console</h1>
        {(['orders', 'dead-letters', 'faults'] as const).map((t) => (
          <button class={tab === t ? 'tab active' : 'tab'} onClick={() => setTab(t)} data-tab={t}>
            {t.replace('-', ' ')}
          </button>
        ))}
        <button
          class="link"
          onClick={() => {
            signOut();
            setSignedIn(false);
          }}
        >
          sign out
        </button>
      </nav>
      <main class={orderId && tab === 'orders' ? 'split' : ''}>
        {tab === 'orders' && <Orders selected={orderId} onOpen={open} />}
        {tab === 'orders' && orderId && <OrderDetail orderId={orderId} onClose={() => setOrderId(null)} />}
        {tab === 'dead-letters' && <DeadLetters onOpenOrder={open} />}
        {tab === 'faults' && <Faults />}
      </main>
    </>
  );
}

takeTokenFromUrl();
render(<Console />, document.getElementById('app')!);
