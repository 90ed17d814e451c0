import { randomUUID } from 'node:crypto';
import { statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import net from 'node:net';
import type { Message, PubSub } from '@google-cloud/pubsub';
import { functionNames, signatureOf, subscriptions, type FunctionName } from '../../schemas/index.ts';
import { bundle, stopBundler } from '../build.ts';
import { loadOrCreateIssuerKey, signIdToken } from '../stack/dev-issuer.ts';
import { freePort, startService } from '../stack/process.ts';
import { functionCommand, type Stack } from '../stack/stack.ts';
import { benchStackPlace } from './stack-place.ts';
import { percentile } from './stats.ts';

const root = resolve(import.meta.dirname, '../..');

/** A set of bundles to start: today's build, or another build of the same functions to compare with. */
export interface ColdStartVariant {
  label: string;
  entry: (fn: FunctionName) => string;
}

export interface ColdStartOptions {
  /** The running stack the fresh copies join (its emulators, database, providers and gateway). */
  stack: Stack;
  project: string;
  logDir: string;
  /** Cold starts of each function per variant (3 for a quick look, 7 for the record). */
  runs: number;
  /** The bundles to start, measured in turn within each run; the first is the one the targets are about. */
  variants: ColdStartVariant[];
  pubsub: PubSub;
  progress?: (text: string) => void;
}

/** Median and max over the runs, in ms. */
export interface ColdStartStats {
  medianMs: number;
  maxMs: number;
  samplesMs: number[];
  /** Median from the spawn to the port accepting connections: loading the bundle and starting the server. */
  listeningMedianMs: number;
}

export interface ColdStartResult {
  measuredAt: string;
  node: string;
  runs: number;
  floor: ColdStartStats;
  variants: { label: string; functions: Record<FunctionName, ColdStartStats> }[];
  /** What each function's first request was. */
  requests: Record<FunctionName, string>;
  /** Size of each function's bundle of the first variant (its `index.js`), and of the floor's, in bytes. */
  bundleBytes: Record<FunctionName, number>;
  floorBundleBytes: number;
  /** Cold starts whose answer did not count and were tried again on another fresh copy. */
  retried: string[];
}

/** The target: every function's median cold start at most this many times the floor's. */
export const COLD_START_TARGET_RATIO = 2;

/** Where one cold start's time went: spawn → port open, and spawn → answer. */
interface ColdStartSample {
  ms: number;
  listeningMs: number;
}

const sizeOf = (file: string) => statSync(file).size;
const sized = (bytes: number) => (bytes < 1e3 ? `${bytes} B` : bytes < 1e5 ? `${Math.round(bytes / 1e3)} kB` : `${(bytes / 1e6).toFixed(1)} MB`);

const stats = (samples: ColdStartSample[]): ColdStartStats => ({
  medianMs: Math.round(percentile(samples.map((s) => s.ms), 50)),
  maxMs: Math.round(Math.max(...samples.map((s) => s.ms))),
  samplesMs: samples.map((s) => Math.round(s.ms)),
  listeningMedianMs: Math.round(percentile(samples.map((s) => s.listeningMs), 50)),
});

/** What the first request of a fresh copy is, and which answers count. */
interface FirstRequest {
  path: string;
  init: RequestInit;
  answered: (status: number) => boolean;
}

const ok = (status: number) => status >= 200 && status < 300;
/** Pub/Sub's acknowledgement codes for a push; 202 is not one of them. */
const acked = (status: number) => [102, 200, 201, 203, 204].includes(status);

/** Resolves once something accepts TCP connections on 127.0.0.1:port; polls every 5 ms. */
async function acceptingConnections(port: number, gaveUp: () => string | null): Promise<void> {
  for (;;) {
    const open = await new Promise<boolean>((done) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        done(true);
      });
      socket.once('error', () => done(false));
    });
    if (open) return;
    const reason = gaveUp();
    if (reason) throw new Error(reason);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * Starts a fresh copy of a function and times it from just before the spawn to the end of the body of its answer to
 * `request` (sent once the port accepts connections); the answer must be one `request.answered` accepts.
 */
async function coldStart(options: {
  name: FunctionName | 'bare-function';
  source: string;
  signature: 'http' | 'cloudevent';
  env: Record<string, string>;
  logDir: string;
  request: FirstRequest;
}): Promise<ColdStartSample & { body: string }> {
  const port = await freePort();
  const logFile = join(options.logDir, `cold-${options.name}.log`);
  const started = performance.now();
  const service = startService({
    name: `cold-${options.name}`,
    ...functionCommand({ name: options.name, source: options.source, signature: options.signature, port, env: options.env }),
    logFile,
  });
  try {
    const deadline = started + 60_000;
    await acceptingConnections(port, () =>
      service.exit ? `a fresh ${options.name} exited before it listened; see ${logFile}` : performance.now() > deadline ? `a fresh ${options.name} did not listen within 60 s; see ${logFile}` : null,
    );
    const listeningMs = performance.now() - started;
    const response = await fetch(`http://127.0.0.1:${port}${options.request.path}`, { ...options.request.init, signal: AbortSignal.timeout(30_000) });
    const body = await response.text();
    const ms = performance.now() - started;
    if (!options.request.answered(response.status)) throw new Error(`a fresh ${options.name} answered ${response.status}: ${body.slice(0, 300)} (see ${logFile})`);
    return { ms, listeningMs, body };
  } finally {
    await service.stop();
  }
}

/** A Pub/Sub message as the emulator pushes it, which functions-framework turns into a CloudEvent. */
const pushBody = (project: string, subscription: string, m: Message) =>
  JSON.stringify({
    message: {
      data: m.data.toString('base64'),
      attributes: m.attributes,
      messageId: m.id,
      message_id: m.id,
      publishTime: m.publishTime.toISOString(),
      publish_time: m.publishTime.toISOString(),
    },
    subscription: `projects/${project}/subscriptions/${subscription}`,
  });

/**
 * Real deliveries for fresh copies: a function's push subscription is switched to pull while the saga runs up to it,
 * so the stack's own copy never sees the message; the message is taken, the subscription pushes to the stack again,
 * and the exact message is pushed to the fresh copy as the emulator would have.
 */
function deliveries(stack: Stack, project: string, pubsub: PubSub) {
  const all = subscriptions();
  const specOf = (fn: FunctionName, topic: string) => {
    const spec = all.find((s) => s.function === fn && s.topic === topic);
    if (!spec) throw new Error(`${fn} has no subscription to ${topic}`);
    return spec;
  };
  const held = new Map<string, { name: string; messages: Message[]; arrived?: () => void; close: () => Promise<void> }>();
  return {
    /** Holds what `fn` would get from `topic` until `take`; the stack's copy gets none of it meanwhile. */
    async hold(fn: FunctionName, topic: string): Promise<void> {
      const spec = specOf(fn, topic);
      await pubsub.subscription(spec.name).modifyPushConfig({});
      const subscription = pubsub.subscription(spec.name);
      const entry = { name: spec.name, messages: [] as Message[], arrived: undefined as (() => void) | undefined, close: () => subscription.close() };
      subscription.on('message', (m: Message) => {
        entry.messages.push(m);
        entry.arrived?.();
      });
      held.set(`${fn} ${topic}`, entry);
    },
    /** The message held for `fn` from `topic` about `orderId`, as a push request; the stack's copy gets pushes again. */
    async take(fn: FunctionName, topic: string, orderId: string): Promise<FirstRequest> {
      const entry = held.get(`${fn} ${topic}`);
      if (!entry) throw new Error(`nothing held for ${fn} from ${topic}`);
      const deadline = Date.now() + 30_000;
      const find = () => entry.messages.find((m) => m.attributes.correlationId === orderId);
      while (!find()) {
        if (Date.now() > deadline) throw new Error(`no ${topic} for order ${orderId} reached ${fn} within 30 s`);
        await new Promise<void>((arrived) => {
          entry.arrived = arrived;
          setTimeout(arrived, 250);
        });
      }
      const message = find()!;
      message.ack();
      entry.messages.splice(entry.messages.indexOf(message), 1);
      await this.release(fn, topic);
      return {
        path: `/projects/${project}/topics/${topic}`,
        init: { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: pushBody(project, entry.name, message) },
        answered: acked,
      };
    },
    /** Points the subscription back at the stack's copy, which gets whatever else was held (another order's message). */
    async release(fn: FunctionName, topic: string): Promise<void> {
      const entry = held.get(`${fn} ${topic}`);
      if (!entry) return;
      held.delete(`${fn} ${topic}`);
      for (const m of entry.messages) m.nack();
      await entry.close();
      await pubsub.subscription(entry.name).modifyPushConfig({ pushEndpoint: `${stack.urls.functions[fn]}/projects/${project}/topics/${topic}` });
    },
    async releaseAll(): Promise<void> {
      for (const key of [...held.keys()]) {
        const [fn, topic] = key.split(' ') as [FunctionName, string];
        await this.release(fn, topic);
      }
    },
  };
}

/**
 * Measures, for every function, how long a fresh copy takes from its spawn to its first real answer, beside a bare
 * functions-framework function (the floor), `runs` times; each run walks one order through fresh copies of every
 * step (each copy's own output is what the next copy gets) and one through the cancellation path.
 */
export async function benchColdStarts(options: ColdStartOptions): Promise<ColdStartResult> {
  const { stack, project, pubsub, logDir } = options;
  const progress = options.progress ?? (() => undefined);
  const floorSource = await bundle('bare-function', join(root, 'scripts/bench/bare-function.ts'));
  await stopBundler();
  const key = await loadOrCreateIssuerKey(stack.issuerKeyFile);
  const customer = await signIdToken(key, { sub: 'cold-start', issuer: stack.issuer, audience: stack.audience, expiresIn: '2h' });
  const admin = await signIdToken(key, { sub: 'cold-start-ops', role: 'admin', issuer: stack.issuer, audience: stack.audience, expiresIn: '2h' });
  const held = deliveries(stack, project, pubsub);
  const requests = {} as Record<FunctionName, string>;
  const floor: ColdStartSample[] = [];
  const retried: string[] = [];
  const samples = options.variants.map(() => Object.fromEntries(functionNames.map((fn) => [fn, [] as ColdStartSample[]])) as Record<FunctionName, ColdStartSample[]>);

  const measureFloor = async () => {
    const { ms, listeningMs } = await coldStart({
      name: 'bare-function', source: floorSource, signature: 'http', env: stack.env, logDir,
      request: { path: '/', init: { method: 'GET' }, answered: ok },
    });
    floor.push({ ms, listeningMs });
  };
  const order = (method: string) => ({
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${customer}`, 'Idempotency-Key': randomUUID() },
    body: JSON.stringify({ items: [{ productId: 'p-00001', quantity: 1 }], payment: { method }, contact: { email: 'cold-start@example.com' } }),
  });
  /** Places an order through the stack's own orders-api; a 503 is tried again with the same Idempotency-Key. */
  const place = async (method: string) => {
    const request = order(method);
    for (let attempt = 1; ; attempt++) {
      const response = await fetch(`${stack.urls.api}/v1/orders`, request);
      if (response.status === 202) return ((await response.json()) as { id: string }).id;
      const body = await response.text();
      if (response.status !== 503 || attempt === 5) throw new Error(`order rejected: ${response.status} ${body}`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  };

  try {
    for (let run = 1; run <= options.runs; run++) {
      for (const [v, variant] of options.variants.entries()) {
        const measure = async (fn: FunctionName, what: string, request: FirstRequest) => {
          requests[fn] = what;
          // An answer that does not count (a 503 from a dependency of a loaded machine) is tried again on another fresh
          // copy, as a client or Pub/Sub would, and only a counted answer is a sample.
          for (let attempt = 1; ; attempt++) {
            try {
              const answer = await coldStart({ name: fn, source: variant.entry(fn), signature: signatureOf(fn), env: stack.envOf(fn), logDir, request });
              samples[v]![fn].push({ ms: answer.ms, listeningMs: answer.listeningMs });
              return answer.body;
            } catch (err) {
              if (attempt === 3) throw err;
              retried.push(`${variant.label} ${fn}: ${(err as Error).message.slice(0, 200)}`);
              progress(`retrying ${fn}: ${(err as Error).message.slice(0, 200)}`);
            }
          }
        };
        progress(`cold starts, run ${run}/${options.runs}, ${variant.label}`);
        await measureFloor();

        // The happy path: a real order placed by a fresh orders-api, then each step's message handed to a fresh copy.
        await held.hold('payment-authorize', 'order.placed');
        await held.hold('saga-audit', 'order.placed');
        const answer = await measure('orders-api', 'POST /v1/orders (a real order, customer token)', {
          path: '/v1/orders',
          init: order('pm_card_visa'),
          answered: (status) => status === 202,
        });
        const placed = (JSON.parse(answer) as { id: string }).id;
        const chain: [FunctionName, string, FunctionName | null, string | null][] = [
          ['payment-authorize', 'order.placed', 'inventory-reserve', 'payment.authorized'],
          ['inventory-reserve', 'payment.authorized', 'payment-capture', 'inventory.reserved'],
          ['payment-capture', 'inventory.reserved', 'order-confirm', 'payment.captured'],
          ['order-confirm', 'payment.captured', 'notification-send', 'order.confirmed'],
          ['notification-send', 'order.confirmed', null, null],
        ];
        for (const [fn, topic, next, nextTopic] of chain) {
          const delivery = await held.take(fn, topic, placed);
          if (next) await held.hold(next, nextTopic!);
          await measure(fn, `a pushed ${topic} of a real order`, delivery);
        }
        await measure('saga-audit', 'a pushed order.placed of a real order', await held.take('saga-audit', 'order.placed', placed));
        await measureFloor();

        // The cancellation path: the stack's own steps authorize and reserve, the capture is refused.
        await held.hold('order-cancel', 'payment.capture_failed');
        const refused = await place('pm_card_captureFails');
        const cancelling = await held.take('order-cancel', 'payment.capture_failed', refused);
        await held.hold('inventory-release', 'order.cancelled');
        await held.hold('payment-release', 'order.cancelled');
        await measure('order-cancel', 'a pushed payment.capture_failed of a real order', cancelling);
        await measure('inventory-release', 'a pushed order.cancelled of a real order (stock reserved)', await held.take('inventory-release', 'order.cancelled', refused));
        await measure('payment-release', 'a pushed order.cancelled of a real order (payment authorized)', await held.take('payment-release', 'order.cancelled', refused));

        // A dead letter as Pub/Sub forwards one: the order's own order.placed, with the dead-letter source attributes.
        await held.hold('dead-letter-record', 'dead-letter.payment-authorize');
        const dead = await place('pm_card_visa');
        await pubsub.topic('dead-letter.payment-authorize').publishMessage({
          json: { type: 'order.placed', metadata: { eventId: randomUUID(), correlationId: dead } },
          attributes: {
            type: 'order.placed',
            correlationId: dead,
            CloudPubSubDeadLetterSourceSubscription: `projects/${project}/subscriptions/payment-authorize.order.placed`,
            CloudPubSubDeadLetterSourceDeliveryCount: '10',
          },
        });
        await measure('dead-letter-record', 'a pushed dead letter of a real order', await held.take('dead-letter-record', 'dead-letter.payment-authorize', dead));
        await measureFloor();

        await measure('catalog-api', 'GET /v1/products?q=alpine boo&inStock=true (a real search)', {
          path: '/v1/products?q=alpine%20boo&inStock=true&sort=price_asc',
          init: { method: 'GET' },
          answered: (status) => status === 200,
        });
        await measure('admin-api', 'GET /v1/admin/orders (admin token)', {
          path: '/v1/admin/orders?limit=5',
          init: { method: 'GET', headers: { Authorization: `Bearer ${admin}` } },
          answered: (status) => status === 200,
        });
        await measure('api-docs', 'GET /docs (the reference page)', { path: '/docs', init: { method: 'GET' }, answered: (status) => status === 200 });
        for (const job of ['outbox-sweep', 'saga-watchdog', 'saga-reconcile'] as const) {
          await measure(job, 'POST / as Cloud Scheduler calls it (one real run)', {
            path: '/',
            init: { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' },
            answered: ok,
          });
        }
      }
    }
  } finally {
    await held.releaseAll();
  }
  return {
    measuredAt: new Date().toISOString(),
    node: process.version,
    runs: options.runs,
    floor: stats(floor),
    variants: options.variants.map((variant, v) => ({
      label: variant.label,
      functions: Object.fromEntries(functionNames.map((fn) => [fn, stats(samples[v]![fn])])) as Record<FunctionName, ColdStartStats>,
    })),
    requests,
    bundleBytes: Object.fromEntries(functionNames.map((fn) => [fn, sizeOf(options.variants[0]!.entry(fn))])) as Record<FunctionName, number>,
    floorBundleBytes: sizeOf(floorSource),
    retried,
  };
}

/** The cold-start section of docs/performance.md. */
export function coldStartMarkdown(result: ColdStartResult): string {
  const floor = result.floor.medianMs;
  const cell = (s: ColdStartStats) => `${s.medianMs} / ${s.maxMs} ms (${(s.medianMs / floor).toFixed(1)}×)`;
  const split = (s: ColdStartStats) => `${s.listeningMedianMs} + ${s.medianMs - s.listeningMedianMs} ms`;
  const [target] = result.variants;
  const within = target ? functionNames.filter((fn) => target.functions[fn].medianMs <= COLD_START_TARGET_RATIO * floor) : [];
  return `## 2. Cold starts

Measured on ${result.measuredAt.slice(0, 10)} (Node ${result.node}), ${result.runs} runs. A fresh copy of each built function is
started beside the running local stack, with the environment the stack gives that function, and sent one real
request. The time is taken by the bench process from just before it spawns the functions-framework CLI
(\`node …/functions-framework/build/src/main.js --target=<fn> --source=<bundle>\`) to the last byte of the function's
answer: the port is polled every 5 ms, the request is sent as soon as it accepts a connection, and an answer counts
only with the status the request must get (202 for an order, 200 for a read, a page or a job run, a Pub/Sub
acknowledgement code for a push). The **floor** is a bare functions-framework function, bundled the same way, answering
\`GET /\` at once; it is measured the same way three times in each run of each set of bundles. Each cell is median / max (median ÷ floor median).
Target: every function ≤ ${COLD_START_TARGET_RATIO}× the floor.

Each run places a real order through a fresh \`orders-api\` and hands each step's message to a fresh copy of the next
step (its push subscription is switched to pull while the saga runs up to it, so the stack's own copy never sees
it; the exact message is then pushed in the emulator's push format): \`payment-authorize\` gets the \`order.placed\` of
that order, \`inventory-reserve\` the \`payment.authorized\` the fresh \`payment-authorize\` published, and so on to
\`notification-send\`. A second order (\`pm_card_captureFails\`) gives \`order-cancel\` its \`payment.capture_failed\`, and
\`inventory-release\` and \`payment-release\` the \`order.cancelled\` the fresh \`order-cancel\` published; \`dead-letter-record\`
gets the dead letter of a third order, published to \`dead-letter.payment-authorize\` with the attributes Pub/Sub adds
when it forwards one. A cold start whose answer does not count (a 503 from a dependency of a loaded machine) is
tried again on another fresh copy.

The **loading** column splits the first set of bundles' median: from the spawn to the port accepting connections
(Node, the functions framework, evaluating the bundle and what it does at load), and from there to the answer (the
first request: first connections to the emulators, PostgreSQL and providers, and the work itself). The floor's
loading is Node and the functions framework alone.

| function | first request | bundle | ${result.variants.map((v) => v.label).join(' | ')} | loading + first request (median) |
|---|---|---:|${result.variants.map(() => '---:').join('|')}|---:|
| *floor* | GET / | ${sized(result.floorBundleBytes)} | ${result.variants.map(() => `${result.floor.medianMs} / ${result.floor.maxMs} ms`).join(' | ')} | ${split(result.floor)} |
${functionNames.map((fn) => `| \`${fn}\` | ${result.requests[fn] ?? '—'} | ${sized(result.bundleBytes[fn])} | ${result.variants.map((v) => cell(v.functions[fn])).join(' | ')} | ${target ? split(target.functions[fn]) : '—'} |`).join('\n')}

${result.retried.length > 0 ? `Tried again on another fresh copy (the answer did not count): ${result.retried.length}.\n\n` : ''}${target ? `Within ${COLD_START_TARGET_RATIO}× the floor (${target.label}): ${within.length} of ${functionNames.length} functions${within.length > 0 ? ` (${within.map((fn) => `\`${fn}\``).join(', ')})` : ''}.` : ''}
Where the loading time goes, what each change saved, and why the target is not met:
[docs/design/cold-starts.md](design/cold-starts.md).
`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { parseArgs } = await import('node:util');
  const { rmSync, writeFileSync } = await import('node:fs');
  const { PubSub } = await import('@google-cloud/pubsub');
  const { builtEntry } = await import('../build.ts');
  const { startStack } = await import('../stack/stack.ts');
  const { bundleAll } = await import('../build.ts');
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '7' }, compare: { type: 'string', multiple: true, default: [] }, variants: { type: 'string', default: '' } } });
  // --variants packages-external,minified: this build's sources bundled with every package left to node_modules (as
  // before bundling), or minified, into .data/bench/variants/<label>, measured in the same runs.
  const built: ColdStartVariant[] = [];
  for (const label of values.variants.split(',').filter(Boolean)) {
    if (!['packages-external', 'minified'].includes(label)) throw new Error(`--variants ${label}: the variants are packages-external and minified`);
    const outdir = resolve(root, '.data/bench/variants', label);
    await bundleAll(Object.fromEntries(functionNames.map((fn) => [fn, resolve(root, 'functions', fn, 'index.ts')])), { outdir, packagesExternal: label === 'packages-external', minify: label === 'minified' });
    built.push({ label, entry: (fn: FunctionName) => resolve(outdir, fn, 'index.js') });
  }
  const variants: ColdStartVariant[] = [
    { label: 'this build', entry: builtEntry },
    ...built,
    // --compare label=dir: bundles built elsewhere (dir/<function>/index.js), measured in the same runs.
    ...values.compare.map((spec) => {
      const [label, dir] = spec.split('=') as [string, string];
      return { label, entry: (fn: FunctionName) => resolve(dir, fn, 'index.js') };
    }),
  ];
  const { dataDir, logDir, ports } = await benchStackPlace('cold', 'cold-start-logs');
  const project = 'saga-commerce-cold';
  const stack = await startStack({
    ports, project, dataDir, logDir, databaseName: 'saga', seedProducts: 60, logLevel: 'warn',
    // As npm run bench: quotas stay on but out of reach of the one benchmark customer.
    functionEnv: { RATE_LIMIT_READ_PER_MINUTE: '10000000', RATE_LIMIT_ORDER_PER_MINUTE: '10000000', MAX_OPEN_ORDERS_PER_CUSTOMER: '1000000' },
    onProgress: (step, done) => done && console.log(`  ${step} (${(done.ms / 1000).toFixed(1)} s)`),
  });
  const pubsub = new PubSub({ projectId: project });
  try {
    const result = await benchColdStarts({ stack, project, logDir, runs: Number(values.runs), variants, pubsub, progress: (t) => console.log(`  ${t}`) });
    const markdown = coldStartMarkdown(result);
    writeFileSync(resolve(root, '.data/bench/cold-start.json'), JSON.stringify(result, null, 2));
    console.log(`\n${markdown}`);
  } finally {
    await pubsub.close();
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
