import { parseArgs } from 'node:util';
import { functionNames, type FunctionName } from '../schemas/index.ts';
import { buildFunctions } from './build.ts';
import { checkCapacity, connectionBudget, deployPlan, shellLine, type DeployInputs } from './deploy/plan.ts';
import { applyMonitoring } from './deploy/monitoring.ts';
import { DeployFailed, execute, runPlan } from './deploy/run.ts';

const usage = `npm run deploy -- --project P --region R [--plan] [--only <function> ...] [options]

  --plan                    print every gcloud command, in order, and change nothing
  --only <function>         deploy only these functions (and their subscriptions, jobs, access); repeatable
  --bootstrap               also create the APIs, Firestore, the Cloud SQL instance and database, the bucket, the secrets
  --domain <host>           the API's public host: a load balancer with a managed certificate routes it to the API
  --project-number <n>      the project's number (looked up when not given; the plan says PROJECT_NUMBER offline)
  --sql-instance <name>     Cloud SQL instance (default saga); --sql-database (saga), --sql-tier (db-custom-1-3840)
  --sql-max-connections <n> its max_connections (default 100); the plan must fit in it
  --bucket <name>           product image bucket (default <project>-images)
  --mail-from <address>     sender of customer email (default Saga Commerce <orders@<project>.example.com>)
  --sms-provider-url <url>  the SMS provider's API (default https://sms.example.com)
  --redis                   a Memorystore cache for the catalog (saga-cache, through the VPC connector saga-connector)
  --migrator <email>        who runs the migrations (default: the account gcloud is logged in with)
  --parallel <n>            commands at once (default 4)

Secrets (Secret Manager, values added by you): stripe-api-key, smtp-url, sms-api-key. See docs/deploy.md.`;

const { values } = parseArgs({
  options: {
    project: { type: 'string' },
    region: { type: 'string' },
    plan: { type: 'boolean', default: false },
    only: { type: 'string', multiple: true },
    bootstrap: { type: 'boolean', default: false },
    domain: { type: 'string' },
    'project-number': { type: 'string' },
    'sql-instance': { type: 'string', default: 'saga' },
    'sql-database': { type: 'string', default: 'saga' },
    'sql-tier': { type: 'string', default: 'db-custom-1-3840' },
    'sql-max-connections': { type: 'string', default: '100' },
    bucket: { type: 'string' },
    'mail-from': { type: 'string' },
    'sms-provider-url': { type: 'string', default: 'https://sms.example.com' },
    redis: { type: 'boolean', default: false },
    migrator: { type: 'string' },
    parallel: { type: 'string', default: '4' },
    help: { type: 'boolean', default: false },
  },
});
const fail = (message: string): never => {
  console.error(`✗ ${message}`);
  process.exit(2);
};
if (values.help) {
  console.log(usage);
  process.exit(0);
}
if (!values.project || !values.region) fail(`--project and --region are required\n\n${usage}`);
const unknown = (values.only ?? []).filter((fn) => !(functionNames as string[]).includes(fn));
if (unknown.length) fail(`--only ${unknown.join(', ')}: not a function of schemas/topology.ts (${functionNames.join(', ')})`);

const project = values.project!;
const gcloudEnv = process.env;
/** A value gcloud knows (the project's number, the logged-in account), or null offline. */
const ask = async (argv: string[]) => {
  const result = await execute(argv, gcloudEnv);
  return result.code === 0 && result.stdout.trim() ? result.stdout.trim() : null;
};

const inputs: DeployInputs = {
  project,
  region: values.region!,
  projectNumber: values['project-number'] ?? (values.plan ? null : await ask(['gcloud', 'projects', 'describe', project, '--format=value(projectNumber)'])),
  only: (values.only as FunctionName[] | undefined) ?? null,
  bootstrap: values.bootstrap!,
  sql: { instance: values['sql-instance']!, database: values['sql-database']!, tier: values['sql-tier']!, maxConnections: Number(values['sql-max-connections']) },
  bucket: values.bucket ?? `${project}-images`,
  domain: values.domain ?? null,
  redis: values.redis
    ? {
        // The cache's address exists once the bootstrap created it; the plan says REDIS_HOST before.
        url: `redis://${(values.plan ? null : await ask(['gcloud', 'redis', 'instances', 'describe', 'saga-cache', `--region=${values.region}`, `--project=${project}`, '--format=value(host)'])) ?? 'REDIS_HOST'}:6379`,
        vpcConnector: 'saga-connector',
      }
    : null,
  mailFrom: values['mail-from'] ?? `Saga Commerce <orders@${project}.example.com>`,
  smsProviderUrl: values['sms-provider-url']!,
  sourceRoot: 'dist/functions',
  secrets: { payments: 'stripe-api-key', smtp: 'smtp-url', sms: 'sms-api-key' },
  migrator: values.migrator ?? (values.plan ? null : await ask(['gcloud', 'config', 'get-value', 'account'])),
};

try {
  checkCapacity(inputs);
} catch (err) {
  fail((err as Error).message);
}
const plan = deployPlan(inputs);
const budget = connectionBudget(inputs);

if (values.plan) {
  // stdout: the commands only, one per line; everything else goes to stderr.
  console.error(`# ${plan.commands.length} gcloud commands for ${project} in ${inputs.region}; PostgreSQL connections at most ${budget.total} of ${budget.limit}`);
  if (!inputs.projectNumber) console.error('# the project number is not known here: PROJECT_NUMBER stands for it (pass --project-number)');
  if (!inputs.migrator) console.error('# no --migrator: the deploying identity gets no Cloud SQL user in this plan (a real run uses the account gcloud is logged in with)');
  let phase = '';
  for (const c of plan.commands) {
    for (const step of plan.steps.filter((s) => s.before === c.phase && phase !== c.phase)) console.error(`# then, before ${step.before}: ${shellLine(step.command)}  (${step.description})`);
    phase = c.phase;
    console.log(shellLine(c.argv));
  }
  if (!inputs.only) console.error('# then the alert policies and the dashboard of infra/monitoring: each found by its label or name and updated, or created (gcloud alpha monitoring policies, gcloud monitoring dashboards)');
  process.exit(0);
}

if (!inputs.projectNumber) fail(`could not look up the number of project ${project}: log in with \`gcloud auth login\` (and check the project id), or pass --project-number`);
console.log(`Deploying Saga Commerce to ${project} (${inputs.region}): ${plan.commands.length} commands; PostgreSQL connections at most ${budget.total} of ${budget.limit}.`);
console.log('… building the functions (dist/functions, each with its own package.json)');
await buildFunctions();
try {
  const tally = await runPlan(plan, {
    env: gcloudEnv,
    parallel: Number(values.parallel),
    progress: (line) => console.log(line),
    runStep: async (step) => {
      const result = await execute(step.command, { ...process.env, FORCE_COLOR: '0' });
      if (result.code !== 0) {
        throw new DeployFailed(`Before the functions are updated, ${step.description}; this failed:\n  ${shellLine(step.command)}\n${(result.stderr || result.stdout).trim().split('\n').slice(-8).join('\n')}\nFix it and run the deploy again; no function was updated.`);
      }
    },
  });
  console.log(`\n✓ deployed: ${tally.created} created, ${tally.applied} applied (deploys, bindings), ${tally.updated} updated, ${tally.unchanged} already as planned.`);
  if (!inputs.only) {
    console.log('… alert policies and the dashboard (infra/monitoring)');
    const monitoring = await applyMonitoring({ project, env: gcloudEnv, progress: (line) => console.log(line) });
    console.log(`✓ monitoring: ${monitoring.created.length} created, ${monitoring.updated.length} updated`);
  }
  console.log(inputs.domain ? `Point ${inputs.domain} at the address saga-api (gcloud compute addresses describe saga-api --global), then: npm run smoke -- --url https://${inputs.domain} --token <ID token>` : 'No --domain: each HTTP function answers at its own URL (gcloud functions describe orders-api --region …).');
} catch (err) {
  console.error(`\n✗ ${(err as Error).message}`);
  process.exit(1);
}
