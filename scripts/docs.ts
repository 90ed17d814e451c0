import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { z } from 'zod';
import { Env } from '../functions/lib/config.ts';
import { AUDIT_SUBSCRIPTION_SUFFIX, PROBLEM_BASE, capacityOf, consumedBy, orderEventTypes, operationIds, operations, type Operation, functionNames, functions, problemTypes, publishTopicsOf, scheduledFunctions, subscriptions, usesOf, type FunctionSpec } from '../schemas/index.ts';
import { writeMonitoringFiles } from '../infra/monitoring.ts';
import { writeConsoleTypes } from './console-types.ts';
import { writeContractFiles } from './contracts.ts';
import { connectionBudget, projectRolesOf, pushAccountId, runtimeAccountId, runtimeOf, URL_MAP_FILE, urlMapYaml, type DeployInputs } from './deploy/plan.ts';

const README = resolve(import.meta.dirname, '../README.md');
const node = (name: string) => name.replace(/\W/g, '_');

/** The saga as a Mermaid flowchart, derived from the topology table: steps, compensations, jobs and dead letters. */
export function sagaDiagram(): string {
  // A subscriber of every saga topic (the audit) is drawn once, not once per topic.
  const everywhere = functionNames.filter((fn) => orderEventTypes.every((t) => consumedBy(fn).includes(t)));
  const subs = subscriptions().filter((s) => s.deadLetterTopic !== null && !everywhere.includes(s.function));
  const lines = ['flowchart LR', '  client([client]) -->|POST /v1/orders| orders_api[orders-api]'];
  for (const fn of functionNames) {
    const spec: FunctionSpec = functions[fn];
    // Jobs and operators' actions republish saga events; drawn dotted, so the saga's own path stays readable.
    const sideways = spec.trigger === 'schedule' || spec.republishes !== undefined;
    const arrow = sideways ? (topic: string) => `-. ${topic} .->` : (topic: string) => `-- ${topic} -->`;
    if (spec.trigger === 'schedule') lines.push(`  scheduler([Cloud Scheduler]) -.-> ${node(fn)}[${fn}]`);
    for (const topic of spec.publishes) {
      const consumers = subs.filter((s) => s.topic === topic).map((s) => s.function);
      for (const c of consumers) lines.push(`  ${node(fn)}[${fn}] ${arrow(topic)} ${node(c)}[${c}]`);
      // A topic no step consumes ends its flow: at the audit, or kept by a pull subscription.
      const end = (orderEventTypes as string[]).includes(topic) && everywhere.length > 0 ? topic : `${topic}${AUDIT_SUBSCRIPTION_SUFFIX}`;
      if (consumers.length === 0) lines.push(`  ${node(fn)}[${fn}] ${arrow(topic)} ${node(topic)}[(${end})]`);
    }
  }
  for (const fn of everywhere) lines.push(`  saga_topics[(every saga topic)] -.-> ${node(fn)}[${fn}]`);
  const recorder = functionNames.find((fn) => functions[fn].trigger === 'dead-letters');
  if (recorder) lines.push(`  dead_letters[(dead-letter.* topics)] --> ${node(recorder)}[${recorder}]`);
  const compensations = functionNames.filter((fn) => (functions[fn] as FunctionSpec & { compensates?: true }).compensates);
  lines.push('  classDef compensation fill:#fde2e1,stroke:#c0392b');
  lines.push(`  class ${compensations.map(node).join(',')} compensation`);
  return ['```mermaid', ...lines, '```'].join('\n');
}

/** Topic → function table with each subscription's delivery policy, derived from the topology table. */
export function topologyTable(): string {
  const rows = subscriptions().map((s) => {
    const role = functions[s.function].trigger === 'dead-letters' ? ' (records dead letters)' : (functions[s.function] as { compensates?: true }).compensates ? ' (compensation)' : '';
    const end = s.deadLetterTopic ? `${s.delivery.maxDeliveryAttempts} → \`${s.deadLetterTopic}\`` : 'retried until recorded';
    return `| \`${s.topic}\` | \`${s.function}\`${role} | \`${s.name}\` | ${s.delivery.ackDeadlineSeconds} s | ${s.delivery.retry.minimumBackoffSeconds}–${s.delivery.retry.maximumBackoffSeconds} s | ${end} |`;
  });
  return [
    '| topic | consumed by | push subscription | ack deadline | retry backoff | attempts → dead-letter topic |',
    '|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

/** The scheduled jobs with their schedules, derived from the topology table. */
export function jobsTable(): string {
  const rows = scheduledFunctions().map((j) => `| \`${j.name}\` | \`${j.schedule}\` | ${j.localEverySeconds} s | ${functions[j.name].description} |`);
  return ['| job | Cloud Scheduler (cron) | locally every | what it does |', '|---|---|---|---|', ...rows].join('\n');
}

/** The configuration variables with their defaults, derived from the config schema. */
export function configTable(): string {
  const shape = Env.shape as Record<string, z.ZodType>;
  const rows = Object.entries(shape).map(([key, schema]) => {
    const parsed = schema.safeParse(undefined);
    const fallback = parsed.success && parsed.data !== undefined ? `\`${String(parsed.data)}\`` : '—';
    return `| \`${key}\` | ${fallback} | ${schema.description ?? ''} |`;
  });
  return ['| variable | default | meaning |', '|---|---|---|', ...rows].join('\n');
}

/** Every problem type the API answers with, derived from the problem table. */
export function problemTable(): string {
  const rows = Object.entries(problemTypes).map(([slug, p]) => `| \`${PROBLEM_BASE}${slug}\` | ${p.status} | ${p.title} |`);
  return ['| type | status | title |', '|---|---|---|', ...rows].join('\n');
}

/** The inputs the deploy documentation is shown with. */
const exampleDeploy: DeployInputs = {
  project: 'PROJECT',
  region: 'REGION',
  projectNumber: null,
  only: null,
  bootstrap: true,
  sql: { instance: 'saga', database: 'saga', tier: 'db-custom-1-3840', maxConnections: 100 },
  bucket: 'PROJECT-images',
  domain: 'api.shop.example',
  redis: null,
  mailFrom: 'Saga Commerce <orders@shop.example>',
  smsProviderUrl: 'https://sms.example.com',
  sourceRoot: 'dist/functions',
  secrets: { payments: 'stripe-api-key', smtp: 'smtp-url', sms: 'sms-api-key' },
  migrator: null,
};

/** Each function as the deploy makes it: identity, roles, topics, secrets, who may call it, and its size. */
export function deployFunctionsTable(): string {
  const rows = functionNames.map((fn) => {
    const spec: FunctionSpec = functions[fn];
    const c = capacityOf(fn);
    const caller = spec.trigger === 'http' ? 'anyone (the API checks tokens)' : spec.trigger === 'schedule' ? '`saga-scheduler`' : `\`${pushAccountId(fn)}\``;
    const secrets = Object.entries(runtimeOf(exampleDeploy, fn).secrets).map(([env, name]) => `\`${name}\` as ${env}`).join(', ') || '—';
    const onBucket = [
      ...(usesOf(fn).includes('images') ? ['storage.objectAdmin on the image bucket'] : []),
      ...(usesOf(fn).includes('catalog-snapshots') ? ['storage.objectUser on the catalog snapshot bucket'] : []),
    ];
    const granted = [...projectRolesOf(fn).map((r) => r.replace('roles/', '')), ...onBucket].join(', ');
    const topics = publishTopicsOf(fn).map((t) => `\`${t}\``).join(', ') || '—';
    return `| \`${fn}\` | \`${runtimeAccountId(fn)}\` | ${granted} | ${topics} | ${secrets} | ${caller} | ${c.memory}, ${c.cpu} vCPU, ${c.concurrency} at once, ${c.minInstances}–${c.maxInstances} instances${c.alwaysOnCpu ? ', CPU always on' : ''}${usesOf(fn).includes('postgres') ? `, ${c.dbPool} DB connections each` : ''} |`;
  });
  const budget = connectionBudget(exampleDeploy);
  return [
    '| function | runs as | project roles | publishes to (roles/pubsub.publisher on each) | secrets (secretAccessor on each) | may call it (run.invoker) | size |',
    '|---|---|---|---|---|---|---|',
    ...rows,
    '',
    `PostgreSQL connections at most: ${budget.byFunction.map((f) => `${f.fn} ${f.connections}`).join(' + ')} = **${budget.total}** (the deploy refuses a plan above the instance's \`max_connections\` less 3).`,
  ].join('\n');
}

/** Every operation of the HTTP API with who may call it and its limits, derived from the operations table. */
export function operationsTable(): string {
  const who = { public: 'anyone', customer: 'customer (own data)', admin: 'admin' };
  const rows = operationIds.map((id) => {
    const op: Operation = operations[id];
    const body = op.body ? `${op.body.kind === 'image' ? 'image' : 'JSON'} ≤ ${op.body.maxBytes >= 1024 * 1024 ? `${op.body.maxBytes / 1024 / 1024} MB` : `${op.body.maxBytes / 1024} KiB`}` : '—';
    return `| \`${op.method} ${op.path}\` | \`${id}\` | ${who[op.access]} | ${op.summary} | ${body} | \`${op.limit}\`${op.idempotent ? ', Idempotency-Key' : ''} |`;
  });
  return ['| method and path | operation | who | what | body | rate bucket |', '|---|---|---|---|---|---|', ...rows].join('\n');
}

const sections = { diagram: sagaDiagram, topology: topologyTable, jobs: jobsTable, config: configTable, problems: problemTable, operations: operationsTable };
const deploySections = { 'deploy-functions': deployFunctionsTable };
const DEPLOY_DOC = resolve(import.meta.dirname, '../docs/deploy.md');

const render = (text: string, parts: Record<string, () => string>) =>
  Object.entries(parts).reduce(
    (out, [name, make]) => out.replace(new RegExp(`(<!-- ${name}:start -->\\n)[\\s\\S]*?(\\n<!-- ${name}:end -->)`), `$1${make()}$2`),
    text,
  );

/** The README with every generated section replaced by its current text. */
export const renderReadme = (text: string) => render(text, sections);

/** docs/deploy.md with every generated section replaced by its current text. */
export const renderDeployDoc = (text: string) => render(text, deploySections);

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  writeFileSync(README, renderReadme(readFileSync(README, 'utf8')));
  writeFileSync(DEPLOY_DOC, renderDeployDoc(readFileSync(DEPLOY_DOC, 'utf8')));
  writeFileSync(resolve(import.meta.dirname, '..', URL_MAP_FILE), urlMapYaml());
  writeContractFiles();
  writeMonitoringFiles();
  await writeConsoleTypes();
  console.log(
    `README.md, docs/deploy.md, ${URL_MAP_FILE}, infra/monitoring, docs/api and the console's API types: diagram, topology, jobs, configuration, problem and deploy tables, URL map, alert policies and dashboard, OpenAPI, AsyncAPI and event schemas regenerated`,
  );
}
