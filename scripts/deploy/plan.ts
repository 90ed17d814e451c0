import {
  AUDIT_SUBSCRIPTION_SUFFIX,
  capacityOf,
  deadLetterTopicOf,
  eventTypes,
  functionNames,
  functions,
  publishTopicsOf,
  stepFunctions,
  subscriptions,
  usesOf,
  type FunctionName,
  type FunctionSpec,
} from '../../schemas/index.ts';

/** Everything a deploy needs to know besides the topology table. */
export interface DeployInputs {
  project: string;
  region: string;
  /** Needed for function URLs and the Pub/Sub service agent; unknown offline (the plan then says PROJECT_NUMBER). */
  projectNumber: string | null;
  /** Deploy only these functions (and what belongs to them); shared resources are always ensured. */
  only: FunctionName[] | null;
  /** Also create what the functions run against: APIs, Firestore, Cloud SQL, the bucket, the secrets. */
  bootstrap: boolean;
  sql: { instance: string; database: string; tier: string; maxConnections: number };
  bucket: string;
  /** The private bucket of catalog-api's search snapshot (default `<project>-catalog`). */
  catalogBucket?: string;
  /** The API's public host name; with it the deploy builds a load balancer with a managed certificate. */
  domain: string | null;
  /** Memorystore for the read cache (instance `saga-cache`), reached through a Serverless VPC Access connector. */
  redis: { url: string; vpcConnector: string } | null;
  mailFrom: string;
  smsProviderUrl: string;
  /** Where the built functions are (`dist/functions`). */
  sourceRoot: string;
  /** Secret Manager names of the secrets the functions read. */
  secrets: { payments: string; smtp: string; sms: string };
  /** The identity that runs migrations (an IAM user or service account email); it gets a Cloud SQL IAM user. */
  migrator: string | null;
}

/** The bucket of catalog-api's search snapshot. */
export const catalogBucketOf = (inputs: DeployInputs) => inputs.catalogBucket ?? `${inputs.project}-catalog`;

/** One gcloud command of the plan, with what it is for and, for creates, the command that updates what exists. */
export interface PlannedCommand {
  phase: Phase;
  argv: string[];
  why: string;
  /** Run instead when the create answers "already exists", so a second deploy converges. */
  update?: string[];
  /** Commands on the same resource run one after another (IAM policies are read, changed and written). */
  resource: string;
}

/** The phases of a deploy, in order. */
export const phases = ['bootstrap', 'identities', 'topics', 'access', 'database', 'functions', 'invokers', 'subscriptions', 'jobs', 'edge'] as const;
export type Phase = (typeof phases)[number];

/** The load balancer's URL map, generated from the topology table by `npm run docs`. */
export const URL_MAP_FILE = 'infra/url-map.yaml';

/**
 * The URL map as YAML: every route of every HTTP function to its backend (`saga-<function>`), for any host. References
 * are partial URLs, so one file serves every project.
 */
export function urlMapYaml(): string {
  const apis = functionNames.filter(isApi);
  const backend = (fn: FunctionName) => `global/backendServices/saga-${fn}`;
  const rules = apis.flatMap((fn) => {
    const routes = (specOf(fn) as Extract<FunctionSpec, { trigger: 'http' }>).routes;
    return [`- paths:`, ...routes.flatMap((r) => [`  - ${r}`, `  - ${r}/*`]), `  service: ${backend(fn)}`];
  });
  return [
    '# Generated from schemas/topology.ts by `npm run docs`; the deploy imports it (gcloud compute url-maps import).',
    'name: saga-api',
    `defaultService: ${backend(apis[0]!)}`,
    'hostRules:',
    '- hosts:',
    "  - '*'",
    '  pathMatcher: api',
    'pathMatchers:',
    '- name: api',
    `  defaultService: ${backend(apis[0]!)}`,
    '  pathRules:',
    ...rules.map((l) => `  ${l}`),
    '',
  ].join('\n');
}

/** A step that is not a gcloud command, run between phases (migrations, before the functions that need them). */
export interface PlannedStep {
  before: Phase;
  description: string;
  command: string[];
}

/**
 * The Cloud Functions runtime: Node 22. Google decommissioned nodejs20 on 2026-10-30; the code is built and tested on
 * Node 20 here and uses nothing Node 22 changed.
 */
export const CLOUD_RUNTIME = 'nodejs22';

const sa = (inputs: DeployInputs, id: string) => `${id}@${inputs.project}.iam.gserviceaccount.com`;
/** The runtime service account of a function (ids are 6–30 characters). */
export const runtimeAccountId = (fn: FunctionName) => `${fn}-sa`;
/** The service account a function's push subscriptions sign their OIDC tokens with. */
export const pushAccountId = (fn: FunctionName) => `${fn}-push`;
const schedulerAccountId = 'saga-scheduler';
const buildAccountId = 'saga-build';
const projectNumber = (inputs: DeployInputs) => inputs.projectNumber ?? 'PROJECT_NUMBER';
/** A function's URL: Cloud Run's deterministic `https://<service>-<project number>.<region>.run.app`. */
export const functionUrl = (inputs: DeployInputs, fn: FunctionName) => `https://${fn}-${projectNumber(inputs)}.${inputs.region}.run.app`;
const pubsubAgent = (inputs: DeployInputs) => `serviceAccount:service-${projectNumber(inputs)}@gcp-sa-pubsub.iam.gserviceaccount.com`;
/** A function's Cloud SQL IAM user: its service account's email without `.gserviceaccount.com`. */
export const databaseUserOf = (inputs: DeployInputs, fn: FunctionName) => `${runtimeAccountId(fn)}@${inputs.project}.iam`;

const specOf = (fn: FunctionName): FunctionSpec => functions[fn];
const isApi = (fn: FunctionName) => specOf(fn).trigger === 'http';
const isScheduled = (fn: FunctionName) => specOf(fn).trigger === 'schedule';

/** The words that name a gcloud command, without its resource and flags: `scheduler jobs create http`, `pubsub topics create`. */
export function commandKind(argv: readonly string[]): string {
  // How many words name the command (after `gcloud`), by its group.
  const pathLength: Record<string, number> = { functions: 2, projects: 2, secrets: 2, services: 2, scheduler: 4 };
  return argv.slice(1, 1 + (pathLength[argv[1]!] ?? 3)).join(' ');
}

/**
 * Every function writes spans (Cloud Trace) and metrics (Cloud Monitoring) through Google's OTLP endpoint: one role
 * holds both permissions (telemetry.traces.write, telemetry.metrics.write).
 */
export const telemetryRoles = ['roles/telemetry.writer'] as const;

/** The roles a function's runtime account holds on the project, from what it uses. */
export function projectRolesOf(fn: FunctionName): string[] {
  const uses = usesOf(fn);
  return [
    ...telemetryRoles,
    ...(uses.includes('traces') ? ['roles/cloudtrace.user'] : []),
    ...(uses.includes('firestore') ? ['roles/datastore.user'] : []),
    ...(uses.includes('postgres') ? ['roles/cloudsql.client', 'roles/cloudsql.instanceUser'] : []),
  ];
}

/** The environment and secrets a function is deployed with, from what it uses. */
export function runtimeOf(inputs: DeployInputs, fn: FunctionName): { env: Record<string, string>; secrets: Record<string, string> } {
  const uses = usesOf(fn);
  const env: Record<string, string> = {
    GOOGLE_CLOUD_PROJECT: inputs.project,
    GOOGLE_CLOUD_REGION: inputs.region,
    LOG_LEVEL: 'info',
    TELEMETRY_ENDPOINT: 'https://telemetry.googleapis.com',
    TELEMETRY_FLUSH_EACH_REQUEST: 'true',
  };
  const secrets: Record<string, string> = {};
  if (uses.includes('postgres')) {
    Object.assign(env, {
      INSTANCE_CONNECTION_NAME: `${inputs.project}:${inputs.region}:${inputs.sql.instance}`,
      DB_USER: databaseUserOf(inputs, fn),
      DB_NAME: inputs.sql.database,
      DB_IP_TYPE: 'PUBLIC',
      DB_IAM_AUTH: 'true',
      DB_POOL_MAX: String(capacityOf(fn).dbPool),
    });
  }
  if (isApi(fn)) {
    Object.assign(env, {
      AUTH_ISSUER: `https://securetoken.google.com/${inputs.project}`,
      AUTH_AUDIENCE: inputs.project,
      AUTH_JWKS_URL: 'https://www.googleapis.com/service_accounts/v1/jwk/securetoken@system.gserviceaccount.com',
    });
  }
  if (uses.includes('images')) Object.assign(env, { IMAGES_BUCKET: inputs.bucket, IMAGES_PUBLIC_URL: 'https://storage.googleapis.com' });
  if (uses.includes('catalog-snapshots')) env.CATALOG_SNAPSHOT_BUCKET = catalogBucketOf(inputs);
  if (uses.includes('payments')) {
    env.PAYMENT_PROVIDER_URL = 'https://api.stripe.com';
    secrets.PAYMENT_PROVIDER_API_KEY = inputs.secrets.payments;
  }
  if (uses.includes('smtp')) {
    env.MAIL_FROM = inputs.mailFrom;
    secrets.SMTP_URL = inputs.secrets.smtp;
  }
  if (uses.includes('sms')) {
    env.SMS_PROVIDER_URL = inputs.smsProviderUrl;
    secrets.SMS_PROVIDER_API_KEY = inputs.secrets.sms;
  }
  if (uses.includes('redis') && inputs.redis) env.REDIS_URL = inputs.redis.url;
  return { env, secrets };
}

/** The Cloud SQL connections the plan opens at most, by function, against what the instance allows. */
export function connectionBudget(inputs: DeployInputs): { total: number; limit: number; byFunction: { fn: FunctionName; connections: number }[] } {
  const byFunction = functionNames
    .filter((fn) => usesOf(fn).includes('postgres'))
    .map((fn) => ({ fn, connections: capacityOf(fn).maxInstances * capacityOf(fn).dbPool }))
    .sort((a, b) => b.connections - a.connections);
  // Cloud SQL keeps 3 connections for its superusers.
  return { total: byFunction.reduce((sum, f) => sum + f.connections, 0), limit: inputs.sql.maxConnections - 3, byFunction };
}

/** Refuses a plan whose PostgreSQL connections exceed the instance's limit, saying which numbers to change. */
export function checkCapacity(inputs: DeployInputs): void {
  const budget = connectionBudget(inputs);
  if (budget.total <= budget.limit) return;
  const biggest = budget.byFunction.slice(0, 3).map((f) => `${f.fn} ${capacityOf(f.fn).maxInstances} instances × ${capacityOf(f.fn).dbPool} connections = ${f.connections}`);
  throw new Error(
    `The plan may open ${budget.total} PostgreSQL connections; Cloud SQL instance ${inputs.sql.instance} allows ${budget.limit} ` +
      `(max_connections ${inputs.sql.maxConnections} less 3 reserved). Lower maxInstances or dbPool in schemas/topology.ts ` +
      `(largest: ${biggest.join('; ')}), or pass --sql-max-connections for a bigger instance (--sql-tier).`,
  );
}

const envFlag = (env: Record<string, string>) => `--set-env-vars=^|^${Object.entries(env).map(([k, v]) => `${k}=${v}`).join('|')}`;

/**
 * The deploy as plain gcloud commands, in order, derived from the topology table: identities, topics, least-privilege
 * access, Cloud SQL users, functions, invokers, push subscriptions with their dead-letter policies, scheduler jobs,
 * and the load balancer in front of the HTTP functions. Pure: the same inputs always give the same commands.
 */
export function deployPlan(inputs: DeployInputs): { commands: PlannedCommand[]; steps: PlannedStep[] } {
  checkCapacity(inputs);
  const p = ['--project', inputs.project];
  const selected = (fn: FunctionName) => inputs.only === null || inputs.only.includes(fn);
  const deployed = functionNames.filter(selected);
  const commands: PlannedCommand[] = [];
  const add = (phase: Phase, resource: string, why: string, argv: string[], update?: string[]) =>
    commands.push({ phase, resource, why, argv: ['gcloud', ...argv, ...p], ...(update ? { update: ['gcloud', ...update, ...p] } : {}) });
  const member = (id: string) => `serviceAccount:${sa(inputs, id)}`;
  const allTopics = [...eventTypes, ...stepFunctions().map(deadLetterTopicOf)];

  if (inputs.bootstrap) {
    const apis = ['run', 'cloudfunctions', 'cloudbuild', 'artifactregistry', 'pubsub', 'firestore', 'sqladmin', 'secretmanager', 'cloudscheduler', 'iam', 'compute', ...(inputs.redis ? ['redis', 'vpcaccess'] : [])];
    add('bootstrap', 'services', 'turn on the APIs the deployment uses', ['services', 'enable', ...apis.map((a) => `${a}.googleapis.com`)]);
    add('bootstrap', 'firestore', 'the Firestore database (catalog, stock, reservations)', ['firestore', 'databases', 'create', `--location=${inputs.region}`]);
    add('bootstrap', `sql:${inputs.sql.instance}`, 'the Cloud SQL instance for orders and payments, with IAM database login', [
      'sql', 'instances', 'create', inputs.sql.instance, '--database-version=POSTGRES_15', `--tier=${inputs.sql.tier}`, `--region=${inputs.region}`,
      '--database-flags=cloudsql.iam_authentication=on', '--backup-start-time=03:00', '--enable-point-in-time-recovery',
    ]);
    // The instance's resource: the database can only be created once the instance exists.
    add('bootstrap', `sql:${inputs.sql.instance}`, 'the database', ['sql', 'databases', 'create', inputs.sql.database, `--instance=${inputs.sql.instance}`]);
    add('bootstrap', `bucket:${inputs.bucket}`, 'the product image bucket', ['storage', 'buckets', 'create', `gs://${inputs.bucket}`, `--location=${inputs.region}`, '--uniform-bucket-level-access']);
    add('bootstrap', `bucket:${catalogBucketOf(inputs)}`, 'the private bucket of the catalog search snapshot', ['storage', 'buckets', 'create', `gs://${catalogBucketOf(inputs)}`, `--location=${inputs.region}`, '--uniform-bucket-level-access', '--public-access-prevention']);
    if (inputs.redis) {
      add('bootstrap', 'redis', 'Memorystore for the catalog’s read cache', ['redis', 'instances', 'create', 'saga-cache', `--region=${inputs.region}`, '--size=1', '--tier=basic', '--redis-version=redis_7_2']);
      add('bootstrap', 'vpc-connector', 'the functions reach Memorystore through this connector', ['compute', 'networks', 'vpc-access', 'connectors', 'create', inputs.redis.vpcConnector, `--region=${inputs.region}`, '--range=10.8.0.0/28']);
    }
    for (const secret of Object.values(inputs.secrets)) {
      add('bootstrap', `secret:${secret}`, `the secret ${secret} (add its value with gcloud secrets versions add)`, ['secrets', 'create', secret, '--replication-policy=automatic']);
    }
  }

  for (const fn of deployed) {
    add('identities', `sa:${runtimeAccountId(fn)}`, `${fn} runs as its own service account`, ['iam', 'service-accounts', 'create', runtimeAccountId(fn), `--display-name=Saga Commerce ${fn}`]);
    if (specOf(fn).trigger === 'topic' || specOf(fn).trigger === 'dead-letters') {
      add('identities', `sa:${pushAccountId(fn)}`, `Pub/Sub signs the pushes to ${fn} as this account`, ['iam', 'service-accounts', 'create', pushAccountId(fn), `--display-name=Pub/Sub push to ${fn}`]);
    }
  }
  add('identities', `sa:${schedulerAccountId}`, 'Cloud Scheduler calls the jobs as this account', ['iam', 'service-accounts', 'create', schedulerAccountId, '--display-name=Saga Commerce scheduler']);
  add('identities', `sa:${buildAccountId}`, 'Cloud Build builds the functions as this account', ['iam', 'service-accounts', 'create', buildAccountId, '--display-name=Saga Commerce build']);

  add('topics', 'topics', 'one topic per event type, one dead-letter topic per step', ['pubsub', 'topics', 'create', ...allTopics]);

  add('access', 'project', 'the build account may build and store images', ['projects', 'add-iam-policy-binding', inputs.project, `--member=${member(buildAccountId)}`, '--role=roles/cloudbuild.builds.builder', '--condition=None']);
  for (const fn of deployed) {
    const id = runtimeAccountId(fn);
    const uses = usesOf(fn);
    for (const role of projectRolesOf(fn)) {
      add('access', 'project', `${fn} uses ${role.replace('roles/', '')}`, ['projects', 'add-iam-policy-binding', inputs.project, `--member=${member(id)}`, `--role=${role}`, '--condition=None']);
    }
    for (const topic of publishTopicsOf(fn)) {
      add('access', `topic:${topic}`, `${fn} publishes to ${topic}`, ['pubsub', 'topics', 'add-iam-policy-binding', topic, `--member=${member(id)}`, '--role=roles/pubsub.publisher']);
    }
    for (const secret of Object.values(runtimeOf(inputs, fn).secrets)) {
      add('access', `secret:${secret}`, `${fn} reads the secret ${secret}`, ['secrets', 'add-iam-policy-binding', secret, `--member=${member(id)}`, '--role=roles/secretmanager.secretAccessor']);
    }
    if (uses.includes('images')) {
      add('access', `bucket:${inputs.bucket}`, `${fn} stores product images`, ['storage', 'buckets', 'add-iam-policy-binding', `gs://${inputs.bucket}`, `--member=${member(id)}`, '--role=roles/storage.objectAdmin']);
    }
    if (uses.includes('catalog-snapshots')) {
      add('access', `bucket:${catalogBucketOf(inputs)}`, `${fn} reads and replaces the catalog search snapshot`, ['storage', 'buckets', 'add-iam-policy-binding', `gs://${catalogBucketOf(inputs)}`, `--member=${member(id)}`, '--role=roles/storage.objectUser']);
    }
  }
  for (const fn of stepFunctions()) {
    add('access', `topic:${deadLetterTopicOf(fn)}`, `Pub/Sub moves ${fn}'s dead letters`, ['pubsub', 'topics', 'add-iam-policy-binding', deadLetterTopicOf(fn), `--member=${pubsubAgent(inputs)}`, '--role=roles/pubsub.publisher']);
  }

  const sqlUsers = deployed.filter((fn) => usesOf(fn).includes('postgres'));
  for (const fn of sqlUsers) {
    add('database', `sql:${inputs.sql.instance}:users`, `${fn} logs in to Cloud SQL with its service account`, [
      'sql', 'users', 'create', databaseUserOf(inputs, fn), `--instance=${inputs.sql.instance}`, '--type=cloud_iam_service_account',
    ]);
  }
  if (inputs.migrator) {
    const serviceAccount = inputs.migrator.endsWith('.gserviceaccount.com');
    add('database', `sql:${inputs.sql.instance}:users`, 'the deploying identity runs the migrations', [
      'sql', 'users', 'create', serviceAccount ? inputs.migrator.replace(/\.gserviceaccount\.com$/, '') : inputs.migrator, `--instance=${inputs.sql.instance}`,
      `--type=${serviceAccount ? 'cloud_iam_service_account' : 'cloud_iam_user'}`,
    ]);
  }

  for (const fn of deployed) {
    const capacity = capacityOf(fn);
    const { env, secrets } = runtimeOf(inputs, fn);
    const ingress = isApi(fn) && inputs.domain ? 'internal-and-gclb' : isApi(fn) ? 'all' : 'internal-only';
    const vpc = usesOf(fn).includes('redis') && inputs.redis ? [`--vpc-connector=${inputs.redis.vpcConnector}`] : [];
    add('functions', `function:${fn}`, `deploy ${fn}`, [
      'functions', 'deploy', fn, '--gen2', `--region=${inputs.region}`, `--runtime=${CLOUD_RUNTIME}`, `--source=${inputs.sourceRoot}/${fn}`, `--entry-point=${fn}`,
      '--trigger-http', isApi(fn) ? '--allow-unauthenticated' : '--no-allow-unauthenticated', `--ingress-settings=${ingress}`,
      `--service-account=${sa(inputs, runtimeAccountId(fn))}`, `--build-service-account=projects/${inputs.project}/serviceAccounts/${sa(inputs, buildAccountId)}`,
      `--memory=${capacity.memory}`, `--cpu=${capacity.cpu}`, `--concurrency=${capacity.concurrency}`, `--min-instances=${capacity.minInstances}`,
      `--max-instances=${capacity.maxInstances}`, `--timeout=${capacity.timeoutSeconds}s`, envFlag(env),
      ...(Object.keys(secrets).length ? [`--set-secrets=${Object.entries(secrets).map(([k, v]) => `${k}=${v}:latest`).join(',')}`] : []),
      ...vpc,
    ]);
    if (capacity.alwaysOnCpu) {
      add('functions', `function:${fn}`, `${fn} keeps CPU between requests (its Firestore listeners)`, ['run', 'services', 'update', fn, `--region=${inputs.region}`, '--no-cpu-throttling']);
    }
  }

  for (const fn of deployed) {
    const trigger = specOf(fn).trigger;
    const invoker = trigger === 'topic' || trigger === 'dead-letters' ? pushAccountId(fn) : isScheduled(fn) ? schedulerAccountId : null;
    if (!invoker) continue;
    add('invokers', `function:${fn}`, `only ${invoker} may call ${fn}`, ['functions', 'add-invoker-policy-binding', fn, `--region=${inputs.region}`, `--member=${member(invoker)}`]);
  }

  const subs = subscriptions().filter((s) => selected(s.function));
  for (const s of subs) {
    const flags = [
      `--push-endpoint=${functionUrl(inputs, s.function)}/projects/${inputs.project}/topics/${s.topic}`,
      `--push-auth-service-account=${sa(inputs, pushAccountId(s.function))}`,
      `--push-auth-token-audience=${functionUrl(inputs, s.function)}`,
      `--ack-deadline=${s.delivery.ackDeadlineSeconds}`,
      `--min-retry-delay=${s.delivery.retry.minimumBackoffSeconds}s`,
      `--max-retry-delay=${s.delivery.retry.maximumBackoffSeconds}s`,
      ...(s.deadLetterTopic ? [`--dead-letter-topic=projects/${inputs.project}/topics/${s.deadLetterTopic}`, `--max-delivery-attempts=${s.delivery.maxDeliveryAttempts}`] : []),
    ];
    add('subscriptions', `subscription:${s.name}`, `${s.topic} is pushed to ${s.function}`, ['pubsub', 'subscriptions', 'create', s.name, `--topic=${s.topic}`, ...flags, '--expiration-period=never'], ['pubsub', 'subscriptions', 'update', s.name, ...flags]);
    if (s.deadLetterTopic) {
      add('subscriptions', `subscription:${s.name}`, `Pub/Sub may take ${s.name}'s messages to its dead-letter topic`, ['pubsub', 'subscriptions', 'add-iam-policy-binding', s.name, `--member=${pubsubAgent(inputs)}`, '--role=roles/pubsub.subscriber']);
    }
  }
  const consumed = new Set(subscriptions().map((s) => s.topic));
  const keep = [
    ...stepFunctions().map((fn) => ({ name: deadLetterTopicOf(fn), topic: deadLetterTopicOf(fn), why: `a raw copy of ${fn}'s dead letters` })),
    ...eventTypes.filter((t) => !consumed.has(t)).map((t) => ({ name: `${t}${AUDIT_SUBSCRIPTION_SUFFIX}`, topic: t, why: `${t} has no consumer yet: kept, never dropped` })),
  ];
  for (const k of keep) {
    add('subscriptions', `subscription:${k.name}`, k.why, ['pubsub', 'subscriptions', 'create', k.name, `--topic=${k.topic}`, '--message-retention-duration=7d', '--expiration-period=never']);
  }

  for (const fn of deployed.filter(isScheduled)) {
    const spec = specOf(fn) as Extract<FunctionSpec, { trigger: 'schedule' }>;
    const flags = [
      `--location=${inputs.region}`, `--schedule=${spec.schedule}`, '--time-zone=Etc/UTC', `--uri=${functionUrl(inputs, fn)}/`, '--http-method=POST',
      '--message-body={}', '--headers=Content-Type=application/json', `--oidc-service-account-email=${sa(inputs, schedulerAccountId)}`,
      `--oidc-token-audience=${functionUrl(inputs, fn)}`, `--attempt-deadline=${capacityOf(fn).timeoutSeconds}s`,
    ];
    // The update takes the same flags, but headers as --update-headers.
    const updateFlags = flags.map((f) => f.replace(/^--headers=/, '--update-headers='));
    add('jobs', `job:${fn}`, `Cloud Scheduler runs ${fn} (${spec.schedule})`, ['scheduler', 'jobs', 'create', 'http', fn, ...flags], ['scheduler', 'jobs', 'update', 'http', fn, ...updateFlags]);
  }

  if (inputs.domain) {
    const apis = functionNames.filter(isApi);
    const g = ['--global'];
    add('edge', 'address', 'the API’s public IP address', ['compute', 'addresses', 'create', 'saga-api', ...g]);
    for (const fn of apis) {
      add('edge', `neg:${fn}`, `the load balancer reaches ${fn}`, ['compute', 'network-endpoint-groups', 'create', `saga-${fn}`, `--region=${inputs.region}`, '--network-endpoint-type=serverless', `--cloud-run-service=${fn}`]);
      add('edge', `backend:${fn}`, `a backend for ${fn}`, ['compute', 'backend-services', 'create', `saga-${fn}`, '--load-balancing-scheme=EXTERNAL_MANAGED', ...g]);
      add('edge', `backend:${fn}`, `${fn} behind its backend`, ['compute', 'backend-services', 'add-backend', `saga-${fn}`, `--network-endpoint-group=saga-${fn}`, `--network-endpoint-group-region=${inputs.region}`, ...g]);
    }
    // Import creates the URL map or replaces it whole, so a changed route table converges (add-path-matcher cannot
    // run twice); the map itself is generated from the table (npm run docs) and the same for every project.
    add('edge', 'url-map', 'one host, routed by path to the HTTP functions (infra/url-map.yaml)', ['compute', 'url-maps', 'import', 'saga-api', `--source=${URL_MAP_FILE}`, '--quiet', ...g]);
    add('edge', 'certificate', `a Google-managed certificate for ${inputs.domain}`, ['compute', 'ssl-certificates', 'create', 'saga-api', `--domains=${inputs.domain}`, ...g]);
    add('edge', 'proxy', 'HTTPS in front of the routes', ['compute', 'target-https-proxies', 'create', 'saga-api', '--url-map=saga-api', '--ssl-certificates=saga-api', ...g]);
    add('edge', 'forwarding-rule', `port 443 of the address (point ${inputs.domain} at it)`, ['compute', 'forwarding-rules', 'create', 'saga-api', '--load-balancing-scheme=EXTERNAL_MANAGED', '--target-https-proxy=saga-api', '--address=saga-api', '--ports=443', ...g]);
  }

  const secretsUsed = [...new Set(deployed.flatMap((fn) => Object.values(runtimeOf(inputs, fn).secrets)))];
  const steps: PlannedStep[] = [
    ...secretsUsed.map((secret) => ({
      before: 'functions' as const,
      description: `the secret ${secret} has a value (add one: printf %s '<value>' | gcloud secrets versions add ${secret} --data-file=- --project ${inputs.project})`,
      command: ['gcloud', 'secrets', 'versions', 'describe', 'latest', `--secret=${secret}`, '--project', inputs.project],
    })),
    ...(sqlUsers.length
      ? [{ before: 'functions' as const, description: 'migrate the database and grant the functions’ users their tables, before any function is updated', command: ['npm', 'run', 'migrate', '--', '--instance', `${inputs.project}:${inputs.region}:${inputs.sql.instance}`, '--database', inputs.sql.database, '--grant', sqlUsers.map((fn) => databaseUserOf(inputs, fn)).join(',')] }]
      : []),
  ];
  return { commands: commands.sort((a, b) => phases.indexOf(a.phase) - phases.indexOf(b.phase)), steps };
}

/** A command as one shell line (single quotes where needed), as a person would type it. */
export function shellLine(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`)).join(' ');
}
