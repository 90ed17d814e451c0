import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  AUDIT_SUBSCRIPTION_SUFFIX,
  capacityOf,
  deadLetterTopicOf,
  eventTypes,
  functionNames,
  functions,
  publishTopicsOf,
  scheduledFunctions,
  stepFunctions,
  subscriptions,
  usesOf,
  type FunctionName,
  type FunctionSpec,
} from '../../schemas/index.ts';
import type * as Topology from '../../schemas/topology.ts';
import { startGcloudRecorder, type RecordedRequest } from '../../test/support/gcloud-recorder.ts';
import { catalogBucketOf, CLOUD_RUNTIME, commandKind, deployPlan, pushAccountId, runtimeAccountId, runtimeOf, shellLine, telemetryRoles, type DeployInputs, type PlannedStep } from './plan.ts';
import { execute, runPlan } from './run.ts';

const project = 'saga-recorded';
const region = 'europe-west1';
const projectNumber = '123456789012';
const domain = 'api.saga-recorded.example';

const inputsFor = (sourceRoot: string): DeployInputs => ({
  project,
  region,
  projectNumber,
  only: null,
  bootstrap: true,
  sql: { instance: 'saga', database: 'saga', tier: 'db-custom-1-3840', maxConnections: 100 },
  bucket: `${project}-images`,
  domain,
  redis: null,
  mailFrom: `Saga Commerce <orders@${project}.example.com>`,
  smsProviderUrl: 'https://sms.example.com',
  sourceRoot,
  secrets: { payments: 'stripe-api-key', smtp: 'smtp-url', sms: 'sms-api-key' },
  migrator: 'deployer@example.com',
});

const email = (id: string) => `${id}@${project}.iam.gserviceaccount.com`;
const serviceAccount = (emailAddress: string) => `serviceAccount:${emailAddress}`;
const pubsubAgent = `serviceAccount:service-${projectNumber}@gcp-sa-pubsub.iam.gserviceaccount.com`;
const triggerOf = (fn: FunctionName) => (functions[fn] as FunctionSpec).trigger;
const pushed = (fn: FunctionName) => triggerOf(fn) === 'topic' || triggerOf(fn) === 'dead-letters';

const succeeded = (r: RecordedRequest) => r.status < 300;

/** The functions the second run deploys again: one of each trigger and, between them, every dependency. */
const secondRun: readonly FunctionName[] = ['catalog-api', 'admin-api', 'payment-capture', 'notification-send', 'saga-watchdog', 'dead-letter-record'];
/** The last successful request body per resource, for requests that match (`path` captures the resource name). */
function lastBodies(requests: RecordedRequest[], method: string, path: RegExp, nameOf: (m: RegExpExecArray, r: RecordedRequest) => string = (m) => m[1]!) {
  const bodies = new Map<string, Record<string, any>>(); // eslint-disable-line @typescript-eslint/no-explicit-any
  for (const r of requests) {
    const m = r.method === method && succeeded(r) ? path.exec(r.path) : null;
    if (m && r.body) bodies.set(nameOf(m, r), r.body);
  }
  return bodies;
}

/** Every IAM policy as the last write left it, as sorted `role member` lines per resource. */
function writtenPolicies(requests: RecordedRequest[]): Record<string, string[]> {
  const policies: Record<string, string[]> = {};
  for (const r of requests.filter(succeeded)) {
    const generic = r.method === 'POST' ? /^\/v\d\/(.+):setIamPolicy$/.exec(r.path) : null;
    const bucket = r.method === 'PUT' ? /^\/storage\/v1\/b\/([^/]+)\/iam$/.exec(r.path) : null;
    if (!generic && !bucket) continue;
    const policy = generic ? r.body!.policy : r.body!;
    const bindings = (policy.bindings ?? []) as { role: string; members: string[] }[];
    policies[generic ? generic[1]! : `buckets/${bucket![1]}`] = bindings.flatMap((b) => b.members.map((m) => `${b.role} ${m}`)).sort();
  }
  return Object.fromEntries(Object.entries(policies).filter(([, lines]) => lines.length));
}

/** One run of the plan: what the runner reported, each command's outcome, the steps it handed over, and the requests. */
interface Run {
  tally: { created: number; applied: number; updated: number; unchanged: number };
  outcomes: { outcome: string; why: string }[];
  steps: PlannedStep[];
  requests: RecordedRequest[];
  seconds: number;
}

describe('a deploy against recorded Google APIs', () => {
  let recorder: Awaited<ReturnType<typeof startGcloudRecorder>>;
  let workDir: string;
  let inputs: DeployInputs;
  let plan: ReturnType<typeof deployPlan>;
  let first: Run;
  let valuesAdded = false;

  /** Runs a plan (the whole one unless told) with gcloud against the recorder; the migration step is recorded, not run. */
  async function deploy(planned = plan): Promise<Run> {
    const from = recorder.requests.length;
    const started = performance.now();
    const outcomes: Run['outcomes'] = [];
    const steps: PlannedStep[] = [];
    const tally = await runPlan(planned, {
      env: recorder.env,
      parallel: 4,
      progress: (line) => {
        const m = /^\[\s*\d+\/\d+\] (\w+)\s+(.*)$/.exec(line);
        if (m) outcomes.push({ outcome: m[1]!, why: m[2]! });
      },
      runStep: async (step) => {
        steps.push(step);
        // The migration needs the database; the secret checks are gcloud, asked of the recorder like the rest.
        if (step.command[0] !== 'gcloud') return;
        if (!valuesAdded) {
          // What the operator does when the deploy asks for the secrets' values.
          for (const secret of Object.values(inputs.secrets)) {
            const added = await execute(['gcloud', 'secrets', 'versions', 'add', secret, `--data-file=${join(workDir, 'secret-value')}`, '--project', project], recorder.env);
            expect(added.code, added.stderr).toBe(0);
          }
          valuesAdded = true;
        }
        const result = await execute(step.command, recorder.env);
        expect(result.code, `${shellLine(step.command)}\n${result.stderr}`).toBe(0);
      },
    });
    return { tally, outcomes, steps, requests: recorder.requests.slice(from), seconds: (performance.now() - started) / 1000 };
  }

  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'recorded-deploy-'));
    // Each function's source is a small package: the test needs the upload, not the build.
    for (const fn of functionNames) {
      mkdirSync(join(workDir, 'functions', fn), { recursive: true });
      writeFileSync(join(workDir, 'functions', fn, 'package.json'), JSON.stringify({ name: fn, type: 'module', main: 'index.js' }));
      writeFileSync(join(workDir, 'functions', fn, 'index.js'), `export const entryPoint = ${JSON.stringify(fn)};\n`);
    }
    writeFileSync(join(workDir, 'secret-value'), 'recorded-secret-value');
    inputs = inputsFor(join(workDir, 'functions'));
    plan = deployPlan(inputs);
    recorder = await startGcloudRecorder({ project, projectNumber });
    first = await deploy();
    console.log(`[recorded deploy] first run: ${plan.commands.length} commands, ${first.requests.length} requests, ${first.seconds.toFixed(1)} s`);
  }, 600_000);

  afterAll(async () => {
    await recorder?.close();
    rmSync(workDir, { recursive: true, force: true });
  });

  const functionUrl = (fn: FunctionName): string => recorder.state.resources.get(`projects/${project}/locations/${region}/functions/${fn}`)?.url;

  it('when the plan runs against an empty project, then every command creates and every request is one Google answers', () => {
    const creates = plan.commands.filter((c) => c.argv.includes('create')).length;
    expect(first.tally).toEqual({ created: creates, applied: plan.commands.length - creates, updated: 0, unchanged: 0 });
    expect(first.requests.filter((r) => r.api === 'unknown')).toEqual([]);
    expect(first.steps).toEqual(plan.steps);
    const topics = [...lastBodies(first.requests, 'PUT', /^\/v1\/projects\/[^/]+\/topics\/([^/:]+)$/).keys()].sort();
    expect(topics).toEqual([...eventTypes, ...stepFunctions().map(deadLetterTopicOf)].sort());
  });

  it('when the plan has run, then every function is deployed with its account, runtime, capacity, environment, secrets, ingress and source', () => {
    const created = lastBodies(first.requests, 'POST', /^\/v2\/projects\/[^/]+\/locations\/[^/]+\/functions$/, (_, r) => r.query.functionId!);
    const uploads = new Map(first.requests.filter((r) => r.api === 'upload' && succeeded(r)).map((r) => [r.path.replace('/upload/', ''), r.size]));
    expect([...created.keys()].sort()).toEqual([...functionNames].sort());
    for (const fn of functionNames) {
      const body = created.get(fn)!;
      const capacity = capacityOf(fn);
      const { env, secrets } = runtimeOf(inputs, fn);
      expect(body, fn).toMatchObject({
        name: `projects/${project}/locations/${region}/functions/${fn}`,
        buildConfig: { runtime: CLOUD_RUNTIME, entryPoint: fn },
        serviceConfig: {
          serviceAccountEmail: email(runtimeAccountId(fn)),
          availableMemory: capacity.memory,
          availableCpu: String(capacity.cpu),
          maxInstanceRequestConcurrency: capacity.concurrency,
          minInstanceCount: capacity.minInstances,
          maxInstanceCount: capacity.maxInstances,
          timeoutSeconds: capacity.timeoutSeconds,
          ingressSettings: triggerOf(fn) === 'http' ? 'ALLOW_INTERNAL_AND_GCLB' : 'ALLOW_INTERNAL_ONLY',
        },
      });
      expect(body.serviceConfig.environmentVariables, fn).toEqual(env);
      const byKey = (a: { key: string }, b: { key: string }) => a.key.localeCompare(b.key);
      expect([...(body.serviceConfig.secretEnvironmentVariables ?? [])].sort(byKey), fn).toEqual(
        Object.entries(secrets).map(([key, secret]) => ({ key, secret, version: 'latest', projectId: projectNumber })).sort(byKey),
      );
      expect(uploads.get(body.buildConfig.source.storageSource.object), `${fn}'s source upload`).toBeGreaterThan(0);
    }
    const cpuAlwaysOn = lastBodies(first.requests, 'PUT', /^\/apis\/serving\.knative\.dev\/v1\/namespaces\/[^/]+\/services\/([^/]+)$/);
    expect([...cpuAlwaysOn].filter(([, s]) => s.spec.template.metadata.annotations['run.googleapis.com/cpu-throttling'] === 'False').map(([fn]) => fn)).toEqual(
      functionNames.filter((fn) => capacityOf(fn).alwaysOnCpu),
    );
  });

  it('when the plan has run, then every push subscription delivers to its function with its OIDC identity, deadlines, retries and dead letters', () => {
    const created = lastBodies(first.requests, 'PUT', /^\/v1\/projects\/[^/]+\/subscriptions\/([^/:]+)$/);
    for (const s of subscriptions()) {
      const url = functionUrl(s.function);
      expect(url, s.function).toMatch(/^https:\/\//);
      expect(created.get(s.name), s.name).toMatchObject({
        topic: `projects/${project}/topics/${s.topic}`,
        ackDeadlineSeconds: s.delivery.ackDeadlineSeconds,
        pushConfig: { pushEndpoint: `${url}/projects/${project}/topics/${s.topic}`, oidcToken: { serviceAccountEmail: email(pushAccountId(s.function)), audience: url } },
        retryPolicy: { minimumBackoff: `${s.delivery.retry.minimumBackoffSeconds}s`, maximumBackoff: `${s.delivery.retry.maximumBackoffSeconds}s` },
        expirationPolicy: {},
      });
      expect(created.get(s.name)!.deadLetterPolicy, s.name).toEqual(
        s.deadLetterTopic ? { deadLetterTopic: `projects/${project}/topics/${s.deadLetterTopic}`, maxDeliveryAttempts: s.delivery.maxDeliveryAttempts } : undefined,
      );
    }
    const consumed = new Set(subscriptions().map((s) => s.topic));
    const kept = [
      ...stepFunctions().map((fn) => ({ name: deadLetterTopicOf(fn), topic: deadLetterTopicOf(fn) })),
      ...eventTypes.filter((t) => !consumed.has(t)).map((t) => ({ name: `${t}${AUDIT_SUBSCRIPTION_SUFFIX}`, topic: t })),
    ];
    for (const k of kept) {
      expect(created.get(k.name), k.name).toMatchObject({ topic: `projects/${project}/topics/${k.topic}`, messageRetentionDuration: '604800s', expirationPolicy: {} });
      expect(created.get(k.name)!.pushConfig ?? {}, `${k.name} is pulled`).toEqual({});
    }
    expect([...created.keys()].sort()).toEqual([...subscriptions().map((s) => s.name), ...kept.map((k) => k.name)].sort());
  });

  it('when the plan has run, then every IAM policy holds exactly the bindings the table implies', () => {
    const jobs = lastBodies(first.requests, 'POST', /^\/v1\/projects\/[^/]+\/locations\/[^/]+\/jobs$/, (_, r) => r.body!.name);
    const schedulerAccount = [...new Set([...jobs.values()].map((j) => j.httpTarget.oidcToken.serviceAccountEmail as string))];
    const functionBodies = lastBodies(first.requests, 'POST', /^\/v2\/projects\/[^/]+\/locations\/[^/]+\/functions$/, (_, r) => r.query.functionId!);
    const buildAccount = [...new Set([...functionBodies.values()].map((f) => (f.buildConfig.serviceAccount as string).split('/').at(-1)!))];
    expect(schedulerAccount).toHaveLength(1);
    expect(buildAccount).toHaveLength(1);

    const expected: Record<string, string[]> = {};
    const grant = (resource: string, role: string, member: string) => (expected[resource] ??= []).push(`${role} ${member}`);
    grant(`projects/${project}`, 'roles/cloudbuild.builds.builder', serviceAccount(buildAccount[0]!));
    for (const fn of functionNames) {
      const runtime = serviceAccount(email(runtimeAccountId(fn)));
      for (const role of telemetryRoles) grant(`projects/${project}`, role, runtime);
      if (usesOf(fn).includes('traces')) grant(`projects/${project}`, 'roles/cloudtrace.user', runtime);
      if (usesOf(fn).includes('firestore')) grant(`projects/${project}`, 'roles/datastore.user', runtime);
      if (usesOf(fn).includes('postgres')) {
        grant(`projects/${project}`, 'roles/cloudsql.client', runtime);
        grant(`projects/${project}`, 'roles/cloudsql.instanceUser', runtime);
      }
      if (usesOf(fn).includes('images')) grant(`buckets/${inputs.bucket}`, 'roles/storage.objectAdmin', runtime);
      if (usesOf(fn).includes('catalog-snapshots')) grant(`buckets/${catalogBucketOf(inputs)}`, 'roles/storage.objectUser', runtime);
      for (const topic of publishTopicsOf(fn)) grant(`projects/${project}/topics/${topic}`, 'roles/pubsub.publisher', runtime);
      for (const secret of Object.values(runtimeOf(inputs, fn).secrets)) grant(`projects/${project}/secrets/${secret}`, 'roles/secretmanager.secretAccessor', runtime);
      const invoker = triggerOf(fn) === 'http' ? 'allUsers' : pushed(fn) ? serviceAccount(email(pushAccountId(fn))) : serviceAccount(schedulerAccount[0]!);
      grant(`projects/${project}/locations/${region}/services/${fn}`, 'roles/run.invoker', invoker);
    }
    for (const fn of stepFunctions()) grant(`projects/${project}/topics/${deadLetterTopicOf(fn)}`, 'roles/pubsub.publisher', pubsubAgent);
    for (const s of subscriptions().filter((s) => s.deadLetterTopic)) grant(`projects/${project}/subscriptions/${s.name}`, 'roles/pubsub.subscriber', pubsubAgent);

    expect(writtenPolicies(first.requests)).toEqual(Object.fromEntries(Object.entries(expected).map(([resource, lines]) => [resource, [...new Set(lines)].sort()])));

    const accounts = [...lastBodies(first.requests, 'POST', /^\/v1\/projects\/[^/]+\/serviceAccounts$/, (_, r) => email(r.body!.accountId)).keys()].sort();
    expect(accounts).toEqual(
      [...functionNames.map((fn) => email(runtimeAccountId(fn))), ...functionNames.filter(pushed).map((fn) => email(pushAccountId(fn))), schedulerAccount[0]!, buildAccount[0]!].sort(),
    );
  });

  it('when the plan has run, then every scheduled function has its job, calling it with an OIDC token and an empty JSON body', () => {
    const jobs = lastBodies(first.requests, 'POST', /^\/v1\/projects\/[^/]+\/locations\/[^/]+\/jobs$/, (_, r) => r.body!.name);
    const schedulerAccount = jobs.values().next().value!.httpTarget.oidcToken.serviceAccountEmail as string;
    expect(schedulerAccount).not.toMatch(/-(sa|push)@/);
    expect([...jobs.keys()].sort()).toEqual(scheduledFunctions().map((j) => `projects/${project}/locations/${region}/jobs/${j.name}`).sort());
    for (const job of scheduledFunctions()) {
      const url = functionUrl(job.name);
      expect(jobs.get(`projects/${project}/locations/${region}/jobs/${job.name}`)).toMatchObject({
        name: `projects/${project}/locations/${region}/jobs/${job.name}`,
        schedule: job.schedule,
        timeZone: 'Etc/UTC',
        attemptDeadline: `${capacityOf(job.name).timeoutSeconds}s`,
        httpTarget: {
          uri: `${url}/`,
          httpMethod: 'POST',
          body: Buffer.from('{}').toString('base64'),
          headers: { 'Content-Type': 'application/json' },
          oidcToken: { serviceAccountEmail: schedulerAccount, audience: url },
        },
      });
    }
  });

  it('when the plan has run, then the load balancer routes each HTTP function’s paths to a backend on its Cloud Run service', () => {
    const apis = functionNames.filter((fn) => triggerOf(fn) === 'http');
    const negs = lastBodies(first.requests, 'POST', /^\/compute\/v1\/projects\/[^/]+\/regions\/[^/]+\/networkEndpointGroups$/, (_, r) => r.body!.name);
    const backends = lastBodies(first.requests, 'PUT', /^\/compute\/v1\/projects\/[^/]+\/global\/backendServices\/([^/]+)$/);
    // The URL map as its last insert, update or patch left it.
    let urlMap: Record<string, any> = {}; // eslint-disable-line @typescript-eslint/no-explicit-any
    for (const r of first.requests.filter((r) => succeeded(r) && /^\/compute\/v1\/projects\/[^/]+\/global\/urlMaps(\/[^/]+)?$/.test(r.path))) {
      if (r.method === 'POST' || r.method === 'PUT') urlMap = r.body!;
      if (r.method === 'PATCH') urlMap = { ...urlMap, ...r.body };
    }
    // One map for any host: the certificate names the domain, the forwarding rule's address is the only way in.
    expect(urlMap.hostRules).toEqual([{ hosts: ['*'], pathMatcher: urlMap.pathMatchers[0].name }]);
    const routed = new Map<string, string>(urlMap.pathMatchers[0].pathRules.flatMap((rule: { paths: string[]; service: string }) => rule.paths.map((p) => [p, rule.service.split('/').at(-1)!])));
    for (const fn of apis) {
      const [negName] = [...negs].find(([, neg]) => neg.cloudRun?.service === fn)!;
      const [backend] = [...backends].find(([, b]) => b.backends.some((x: { group: string }) => x.group.endsWith(`/regions/${region}/networkEndpointGroups/${negName}`)))!;
      const spec = functions[fn] as Extract<FunctionSpec, { trigger: 'http' }>;
      for (const route of spec.routes) {
        expect(routed.get(route), route).toBe(backend);
        expect(routed.get(`${route}/*`), `${route}/*`).toBe(backend);
      }
    }
  });

  describe('when the plan runs a second time', () => {
    let second: Run;
    let again: ReturnType<typeof deployPlan>;
    let policiesBefore: Record<string, string[]>;

    beforeAll(async () => {
      policiesBefore = Object.fromEntries([...recorder.state.policies].map(([name, p]) => [name, p.bindings.flatMap((b) => b.members.map((m) => `${b.role} ${m}`))]));
      // Every kind of command of the plan, for a third of the functions (one of each trigger, every dependency), and
      // every shared resource: gcloud costs a second of CPU a command, and the other functions repeat these kinds.
      again = deployPlan({ ...inputs, only: [...secondRun] });
      second = await deploy(again);
      console.log(`[recorded deploy] second run: ${second.requests.length} requests, ${second.seconds.toFixed(1)} s, runner reported ${JSON.stringify(second.tally)}`);
    }, 600_000);

    it('then it creates nothing, updates what has an update, and leaves every IAM policy as it was', () => {
      expect(second.requests.filter((r) => r.created !== null).map((r) => `${r.method} ${r.path}`)).toEqual([]);
      expect(second.requests.filter((r) => r.api === 'unknown')).toEqual([]);
      const policiesAfter = Object.fromEntries([...recorder.state.policies].map(([name, p]) => [name, p.bindings.flatMap((b) => b.members.map((m) => `${b.role} ${m}`))]));
      expect(policiesAfter).toEqual(policiesBefore);
      const rewritten = writtenPolicies(second.requests);
      expect(rewritten).toEqual(Object.fromEntries(Object.keys(rewritten).map((name) => [name, writtenPolicies(first.requests)[name]])));

      const withUpdate = again.commands.filter((c) => c.update);
      expect(second.tally.created).toBe(0);
      expect(second.tally.updated).toBe(withUpdate.length);
      expect(second.outcomes.filter((o) => o.outcome === 'updated').map((o) => o.why).sort()).toEqual(withUpdate.map((c) => c.why).sort());
      expect(second.tally.applied + second.tally.updated + second.tally.unchanged).toBe(again.commands.length);
      expect(second.steps).toEqual(again.steps);
    });

    it('then it ran every kind of command the whole plan has', () => {
      expect(new Set(again.commands.map((c) => commandKind(c.argv)))).toEqual(new Set(plan.commands.map((c) => commandKind(c.argv))));
      for (const dependency of new Set(functionNames.flatMap((fn) => usesOf(fn)))) expect(secondRun.some((fn) => usesOf(fn).includes(dependency)), dependency).toBe(true);
      for (const trigger of new Set(functionNames.map(triggerOf))) expect(secondRun.some((fn) => triggerOf(fn) === trigger), trigger).toBe(true);
    });
  });
});

describe('a function added to a copy of the topology table', () => {
  const rows: { name: string; spec: FunctionSpec }[] = [
    {
      name: 'loyalty-award',
      spec: { trigger: 'topic', description: 'Award points for a confirmed order.', consumes: ['order.confirmed'], publishes: ['notification.sent'], uses: ['postgres'], capacity: { maxInstances: 1, dbPool: 1 } },
    },
    {
      name: 'cart-expire',
      spec: { trigger: 'schedule', description: 'Expire abandoned carts.', schedule: '*/5 * * * *', localEverySeconds: 5, publishes: ['order.cancelled'], uses: ['firestore'] },
    },
    {
      name: 'reviews-api',
      spec: { trigger: 'http', description: 'Product reviews.', routes: ['/v1/reviews'], publishes: ['catalog.product.changed'], uses: ['firestore', 'images'] },
    },
  ];

  /** The plan built from a fresh instance of schemas/topology.ts (its own copy of the table) with one more row. */
  async function planWith(name: string, spec: FunctionSpec) {
    vi.resetModules();
    vi.doMock('../../schemas/topology.ts', async (importOriginal) => {
      const copy = await importOriginal<typeof Topology>();
      (copy.functions as Record<string, FunctionSpec>)[name] = spec;
      (copy.functionNames as string[]).push(name);
      return copy;
    });
    try {
      const fresh = await import('./plan.ts');
      return { commands: fresh.deployPlan(inputsFor('dist/functions')).commands, urlMap: fresh.urlMapYaml() };
    } finally {
      vi.doUnmock('../../schemas/topology.ts');
      vi.resetModules();
    }
  }

  const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  /** Some command of the plan holds all these fragments, in this order. */
  const command = (...fragments: string[]) => expect.stringMatching(new RegExp(fragments.map(escape).join('.*')));

  it.each(rows)('when $spec.trigger function $name is added, then it appears everywhere its kind says, and only there', async ({ name, spec }) => {
    const before = deployPlan(inputsFor('dist/functions')).commands.map((c) => shellLine(c.argv));
    const { commands, urlMap } = await planWith(name, spec);
    const lines = commands.map((c) => shellLine(c.argv));
    const runtime = email(`${name}-sa`);
    const url = `https://${name}-${projectNumber}.${region}.run.app`;

    expect(functionNames).not.toContain(name);
    expect(lines).toContainEqual(command('gcloud iam service-accounts create', `${name}-sa `));
    expect(lines).toContainEqual(command('gcloud functions deploy', ` ${name} `, `--service-account=${runtime}`));
    for (const topic of spec.publishes) expect(lines).toContainEqual(command('gcloud pubsub topics add-iam-policy-binding', ` ${topic} `, `--member=serviceAccount:${runtime}`, '--role=roles/pubsub.publisher'));
    if (spec.uses.includes('postgres')) {
      expect(lines).toContainEqual(command('gcloud projects add-iam-policy-binding', `--member=serviceAccount:${runtime}`, '--role=roles/cloudsql.client'));
      expect(lines).toContainEqual(command('gcloud sql users create', `${name}-sa@${project}.iam`));
    }
    if (spec.uses.includes('firestore')) expect(lines).toContainEqual(command('gcloud projects add-iam-policy-binding', `--member=serviceAccount:${runtime}`, '--role=roles/datastore.user'));
    if (spec.uses.includes('images')) expect(lines).toContainEqual(command('gcloud storage buckets add-iam-policy-binding', `--member=serviceAccount:${runtime}`, '--role=roles/storage.objectAdmin'));
    if (spec.uses.includes('catalog-snapshots')) expect(lines).toContainEqual(command('gcloud storage buckets add-iam-policy-binding', `--member=serviceAccount:${runtime}`, '--role=roles/storage.objectUser'));

    if (spec.trigger === 'topic') {
      const push = email(`${name}-push`);
      expect(lines).toContainEqual(command('gcloud iam service-accounts create', `${name}-push `));
      expect(lines).toContainEqual(command('gcloud pubsub topics create', ` dead-letter.${name} `));
      for (const topic of spec.consumes) {
        expect(lines).toContainEqual(
          command('gcloud pubsub subscriptions create', ` ${name}.${topic} `, `--topic=${topic}`, `--push-endpoint=${url}/projects/${project}/topics/${topic}`, `--push-auth-service-account=${push}`, `--dead-letter-topic=projects/${project}/topics/dead-letter.${name}`),
        );
      }
      expect(lines).toContainEqual(command('gcloud pubsub subscriptions create', ` dead-letter-record.dead-letter.${name} `, `--topic=dead-letter.${name}`));
      expect(lines).toContainEqual(command('gcloud pubsub subscriptions create', ` dead-letter.${name} `, `--topic=dead-letter.${name}`, '--message-retention-duration=7d'));
      expect(lines).toContainEqual(command('gcloud pubsub topics add-iam-policy-binding', ` dead-letter.${name} `, `--member=${pubsubAgent}`));
      expect(lines).toContainEqual(command('gcloud functions add-invoker-policy-binding', ` ${name} `, `--member=serviceAccount:${push}`));
    }
    if (spec.trigger === 'schedule') {
      expect(lines).toContainEqual(command('gcloud scheduler jobs create http', ` ${name} `, `--schedule=${spec.schedule}`, `--uri=${url}/`));
      expect(lines).toContainEqual(command('gcloud functions add-invoker-policy-binding', ` ${name} `));
    }
    if (spec.trigger === 'http') {
      expect(lines).toContainEqual(command('gcloud functions deploy', ` ${name} `, '--allow-unauthenticated', '--ingress-settings=internal-and-gclb'));
      expect(lines).toContainEqual(command('gcloud compute network-endpoint-groups create', `saga-${name} `, `--cloud-run-service=${name} `));
      expect(lines).toContainEqual(command('gcloud compute backend-services create', `saga-${name} `));
      expect(lines).toContainEqual(command('gcloud compute backend-services add-backend', `saga-${name} `, `--network-endpoint-group=saga-${name} `));
      // The routes are in the URL map the deploy imports (infra/url-map.yaml, generated from the table).
      expect(lines).toContainEqual(command('gcloud compute url-maps import saga-api', '--source=infra/url-map.yaml'));
      for (const route of spec.routes) expect(urlMap).toMatch(new RegExp(`- ${escape(route)}\\n  *- ${escape(route)}/\\*\\n  *service: global/backendServices/saga-${name}\\n`));
      expect(lines.filter((l) => l.includes('add-invoker-policy-binding') && l.includes(` ${name} `))).toEqual([]);
    }
    if (spec.trigger !== 'topic') expect(lines.filter((l) => l.includes(`${name}-push`) || l.includes(`dead-letter.${name}`))).toEqual([]);

    const added = lines.filter((l) => !before.includes(l));
    expect(added.filter((l) => !l.includes(name)), 'commands the new row changed that do not name it').toEqual([]);
    expect(before.filter((l) => !lines.includes(l)).filter((l) => !/topics create /.test(l)), 'commands the new row removed').toEqual([]);
  });
});
