import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { serveOnLoopback } from '../stack/process.ts';
import { createStripeState, stripeError, type Answer, type Params, type StripeState } from './payment-simulator.state.ts';

export { testPaymentMethods } from './payment-simulator.state.ts';

/** A request as it reaches the simulator: the path with its query string, header names in lower case, the raw body. */
export interface SimulatorRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | number | undefined>;
  body: string;
}

/** An answer with the headers Stripe sends along (`request-id`, `idempotent-replayed`, ...). */
export interface SimulatorResponse extends Answer {
  headers: Record<string, string>;
}

const Faults = z.strictObject({
  failureRate: z.number().min(0).max(1).describe('Share of POSTs that answer 503 before acting.'),
  latencyMs: z.number().int().min(0).describe('Delay before every answer.'),
  hang: z.boolean().describe('Hold every request unanswered until this is turned off.'),
  declineRate: z.number().min(0).max(1).describe('Share of new payment intents declined as a card would be (generic_decline): a demo of compensations.'),
});

/** Faults the simulator injects for tests and the benchmark; set them with `POST /_simulator/faults`. */
export type Faults = z.infer<typeof Faults>;

/** How a simulator starts: initial faults, and a clock and randomness tests can fix. */
export interface PaymentSimulatorOptions {
  faults?: Partial<Faults>;
  now?: () => Date;
  random?: () => number;
}

/** Decodes a form body or query string the way Stripe does: `a[b]=v` nests, `a[0]=v` and `a[]=v` list. */
export function parseForm(text: string): Params {
  const root: Params = {};
  for (const [name, value] of new URLSearchParams(text)) {
    const keys = name.split('[').map((key) => key.replace(/]$/, ''));
    let node = root;
    keys.forEach((key, i) => {
      const slot = key === '' ? String(Object.keys(node).length) : key;
      if (i === keys.length - 1) node[slot] = value;
      else node = typeof node[slot] === 'object' ? node[slot] : (node[slot] = {});
    });
  }
  return root;
}

type Route = [method: string, path: RegExp, run: (state: StripeState, id: string, params: Params, key?: string) => Answer];

const routes: Route[] = [
  ['POST', /^\/v1\/payment_intents$/, (s, _, params, key) => s.createIntent(params, key)],
  ['POST', /^\/v1\/payment_intents\/([^/]+)\/capture$/, (s, id, params, key) => s.capture(id, params, key)],
  ['POST', /^\/v1\/payment_intents\/([^/]+)\/cancel$/, (s, id, params, key) => s.cancel(id, params, key)],
  ['GET', /^\/v1\/payment_intents\/search$/, (s, _, query) => s.searchIntents(query)],
  ['GET', /^\/v1\/payment_intents\/([^/]+)$/, (s, id) => s.retrieve(id)],
  ['GET', /^\/v1\/payment_intents$/, (s, _, query) => s.listIntents(query)],
  ['POST', /^\/v1\/refunds$/, (s, _, params, key) => s.refund(params, key)],
  ['GET', /^\/v1\/refunds$/, (s, _, query) => s.listRefunds(query)],
];

function authenticate(authorization: string | undefined): Answer | undefined {
  const [scheme = '', credentials = ''] = (authorization ?? '').split(' ');
  // Stripe takes the key as a bearer token, or as the user name of basic auth (`curl -u sk_test_...:`).
  const key = scheme === 'Basic' ? Buffer.from(credentials, 'base64').toString('utf8').replace(/:$/, '') : scheme === 'Bearer' ? credentials : '';
  if (key.startsWith('sk_test_')) return undefined;
  const message = key
    ? `Invalid API Key provided: ${key.slice(0, 8)}****${key.slice(-4)}. The simulator takes any sk_test_ key.`
    : "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').";
  return stripeError(401, { type: 'invalid_request_error', message });
}

/**
 * A local stand-in for the Stripe API, in-process: form-encoded requests, Stripe's objects, errors and status codes,
 * and its Idempotency-Key rules (a replay answers the first result with `Idempotent-Replayed: true`, other parameters
 * under the same key are a 400, a 5xx is not remembered, a key still in flight is a 409). Faults are set under `/_simulator`.
 */
export function createPaymentSimulator(options: PaymentSimulatorOptions = {}) {
  const state = createStripeState({ now: options.now ?? (() => new Date()) });
  const random = options.random ?? Math.random;
  let faults = Faults.parse({ failureRate: 0, latencyMs: 0, hang: false, declineRate: 0, ...options.faults });
  const hung: (() => void)[] = [];
  const remembered = new Map<string, { fingerprint: string; answer: Answer }>();
  const inFlight = new Set<string>();

  function setFaults(patch: Partial<Faults>): Faults {
    faults = Faults.parse({ ...faults, ...patch });
    if (!faults.hang) hung.splice(0).forEach((release) => release());
    return faults;
  }

  function control(request: SimulatorRequest): Answer {
    if (request.method === 'GET') return { status: 200, body: faults };
    if (request.method !== 'POST') return stripeError(405, { type: 'invalid_request_error', message: 'Use GET or POST on /_simulator/faults.' });
    let body: unknown;
    try {
      body = JSON.parse(request.body || '{}');
    } catch {
      return stripeError(400, { type: 'invalid_request_error', message: 'Send the faults as a JSON object.' });
    }
    const patch = Faults.partial().safeParse(body);
    if (!patch.success) return stripeError(400, { type: 'invalid_request_error', message: z.prettifyError(patch.error) });
    return { status: 200, body: setFaults(patch.data) };
  }

  function idempotent(key: string, fingerprint: string, run: () => Answer): [Answer, Record<string, string>] {
    const seen = remembered.get(key);
    if (seen && seen.fingerprint !== fingerprint) {
      const message = `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`;
      return [stripeError(400, { type: 'idempotency_error', message }), {}];
    }
    if (seen) return [seen.answer, { 'idempotent-replayed': 'true' }];
    const answer = run();
    if (answer.status < 500) remembered.set(key, { fingerprint, answer });
    return [answer, {}];
  }

  function dispatch(request: SimulatorRequest, url: URL, key: string | undefined): [Answer, Record<string, string>] {
    for (const [method, path, run] of routes) {
      const match = path.exec(url.pathname);
      if (method !== request.method || !match) continue;
      const params = parseForm(request.method === 'POST' ? request.body : url.search.slice(1));
      if (request.method === 'POST' && url.pathname === '/v1/payment_intents' && random() < faults.declineRate) params.payment_method = 'pm_card_chargeDeclined';
      const act = () => run(state, decodeURIComponent(match[1] ?? ''), params, key);
      if (key === undefined) return [act(), {}];
      const fingerprint = [request.method, url.pathname, ...[...new URLSearchParams(request.body)].map(([k, v]) => `${k}=${v}`).sort()].join(' ');
      return idempotent(key, fingerprint, act);
    }
    return [stripeError(404, { type: 'invalid_request_error', message: `Unrecognized request URL (${request.method}: ${url.pathname}).` }), {}];
  }

  async function handle(request: SimulatorRequest): Promise<SimulatorResponse> {
    const url = new URL(request.path, 'http://simulator');
    const header = (name: string) => [request.headers[name]].flat()[0]?.toString();
    const key = request.method === 'POST' ? header('idempotency-key') : undefined;
    const respond = ([answer, headers]: [Answer, Record<string, string>]): SimulatorResponse => ({
      ...answer,
      headers: { 'request-id': `req_${randomBytes(7).toString('hex')}`, ...(key === undefined ? {} : { 'idempotency-key': key }), ...headers },
    });
    if (url.pathname === '/_simulator/faults') return respond([control(request), {}]);
    const denied = authenticate(header('authorization'));
    if (denied) return respond([denied, {}]);
    if (key !== undefined && inFlight.has(key)) {
      const message = `There is currently another in-progress request using this Idempotent Key (that probably means you submitted twice, and the other request is still going through): ${key}. Please try again later.`;
      return respond([stripeError(409, { type: 'idempotency_error', code: 'idempotency_key_in_use', message }), { 'stripe-should-retry': 'true' }]);
    }
    if (key !== undefined) inFlight.add(key);
    try {
      while (faults.hang) await new Promise<void>((release) => hung.push(release));
      if (faults.latencyMs > 0) await sleep(faults.latencyMs);
      if (request.method === 'POST' && random() < faults.failureRate) {
        return respond([stripeError(503, { type: 'api_error', message: 'The simulator injected a failure (failureRate); nothing was done.' }), {}]);
      }
      return respond(dispatch(request, url, key));
    } finally {
      if (key !== undefined) inFlight.delete(key);
    }
  }

  return { handle, faults: () => faults, setFaults };
}

/** A payment simulator: its request handler and its fault controls. */
export type PaymentSimulator = ReturnType<typeof createPaymentSimulator>;

/** Starts the payment simulator on 127.0.0.1:port (0 picks a free port); point PAYMENT_PROVIDER_URL at its `url`. */
export async function startPaymentSimulator(port: number, options: PaymentSimulatorOptions = {}): Promise<{ url: string; close(): Promise<void> }> {
  const simulator = createPaymentSimulator(options);
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const answer = await simulator.handle({ method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
    res.writeHead(answer.status, { 'Content-Type': 'application/json', ...answer.headers }).end(JSON.stringify(answer.body));
  });
  const served = await serveOnLoopback(server, port);
  return {
    url: served.url,
    close: () => {
      // Hung requests are released so their handlers finish instead of waiting forever on closed sockets.
      simulator.setFaults({ hang: false });
      return served.close();
    },
  };
}
