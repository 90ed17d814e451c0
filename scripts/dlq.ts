import { parseArgs } from 'node:util';
import { loadOrCreateIssuerKey, signIdToken } from './stack/dev-issuer.ts';
import { readDevStackFile } from './stack/dev-stack-file.ts';

const usage = `npm run dlq -- <command>

  list [--status open|replayed|discarded] [--function <fn>] [--type <event type>] [--order <id>] [--limit <n>]
  show <id>
  replay <id>                 publish the original event again, same event id (every consumer recognises what it did)
  discard <id> --reason "…"   put it aside, saying why
  retry-order <id>            run an order's pending work again (POST /v1/admin/orders/{id}/retry)

Talks to the admin API of a running \`npm run dev\` with an admin token of the development issuer; elsewhere set
SAGA_API_URL and SAGA_ADMIN_TOKEN.`;

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    status: { type: 'string' },
    function: { type: 'string' },
    type: { type: 'string' },
    order: { type: 'string' },
    limit: { type: 'string' },
    reason: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
const [command, id] = positionals;
if (values.help || !command) {
  console.log(usage);
  process.exit(command ? 0 : 2);
}

async function target(): Promise<{ api: string; token: string }> {
  if (process.env.SAGA_API_URL && process.env.SAGA_ADMIN_TOKEN) return { api: process.env.SAGA_API_URL, token: process.env.SAGA_ADMIN_TOKEN };
  const dev = readDevStackFile();
  const key = await loadOrCreateIssuerKey(dev.issuerKeyFile);
  return { api: dev.api, token: await signIdToken(key, { sub: 'dlq-cli', role: 'admin', issuer: dev.issuer, audience: dev.audience, expiresIn: '5m' }) };
}

async function call(method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const { api, token } = await target();
  const response = await fetch(`${api}${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  const json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${json.detail ?? json.title ?? text}`);
  return json;
}

const need = (what: string) => {
  if (!id) throw new Error(`${command} needs ${what}; see npm run dlq -- --help`);
  return encodeURIComponent(id);
};

try {
  switch (command) {
    case 'list': {
      const query = new URLSearchParams(
        Object.entries({ status: values.status, function: values.function, eventType: values.type, orderId: values.order, limit: values.limit }).filter(([, v]) => v !== undefined) as [string, string][],
      );
      const page = (await call('GET', `/v1/admin/dead-letters?${query}`)) as { items: Record<string, unknown>[]; nextCursor: string | null };
      if (page.items.length === 0) console.log(`No ${values.status ?? 'open'} dead letters.`);
      for (const d of page.items) {
        console.log(`${d.id}  ${String(d.deadLetteredAt)}  ${String(d.function).padEnd(18)} ${String(d.eventType ?? '—').padEnd(28)} ${String(d.cause).padEnd(13)} order ${d.orderId ?? '—'}\n    ${d.lastError ?? ''}`);
      }
      if (page.nextCursor) console.log('(more: narrow the list with --function, --type or --order)');
      break;
    }
    case 'show':
      console.log(JSON.stringify(await call('GET', `/v1/admin/dead-letters/${need('a dead-letter id')}`), null, 2));
      break;
    case 'replay': {
      const replayed = await call('POST', `/v1/admin/dead-letters/${need('a dead-letter id')}/replay`);
      console.log(`replayed ${replayed.eventType} ${replayed.eventId} of order ${replayed.orderId ?? '—'} to ${replayed.topic}`);
      break;
    }
    case 'discard': {
      if (!values.reason) throw new Error('discard needs --reason "why it is put aside"');
      await call('POST', `/v1/admin/dead-letters/${need('a dead-letter id')}/discard`, { reason: values.reason });
      console.log(`discarded ${id}: ${values.reason}`);
      break;
    }
    case 'retry-order': {
      const retried = (await call('POST', `/v1/admin/orders/${need('an order id')}/retry`)) as { republished: { type: string } };
      console.log(`order ${id}: ${retried.republished.type} published again`);
      break;
    }
    default:
      throw new Error(`unknown command ${command}\n\n${usage}`);
  }
} catch (err) {
  console.error(`✗ ${(err as Error).message}`);
  process.exitCode = 1;
}
