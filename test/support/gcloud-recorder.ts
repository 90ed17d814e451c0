import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serveOnLoopback } from '../../scripts/stack/process.ts';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** One request gcloud made, as the recorder saw and answered it. */
export interface RecordedRequest {
  /** The API whose route answered it (`pubsub`, `cloudfunctions`, …), `upload` for a source zip, `unknown` if none did. */
  api: string;
  method: string;
  /** As gcloud addressed it: `127.0.0.1:PORT`, or `REGION-127.0.0.1:PORT` for Cloud Run's regional endpoint. */
  host: string;
  path: string;
  query: Record<string, string>;
  /** The parsed JSON body; null when there is none, and for a source upload. */
  body: Json | null;
  /** Bytes received. */
  size: number;
  status: number;
  /** The full name of the resource this request created, or null. */
  created: string | null;
}

/** An IAM policy as Google keeps it; the etag changes exactly when the bindings do. */
export interface IamPolicy {
  version: number;
  etag: string;
  bindings: { role: string; members: string[] }[];
}

/** Everything the recorder holds, by full resource name (`projects/P/topics/T`, `buckets/B`, …). */
export interface RecorderState {
  resources: Map<string, Json>;
  policies: Map<string, IamPolicy>;
}

/** The Google APIs the recorder serves, by the name of gcloud's `api_endpoint_overrides` property. */
export const recordedApis = [
  'pubsub', 'cloudfunctions', 'run', 'iam', 'cloudresourcemanager', 'serviceusage', 'cloudscheduler', 'secretmanager', 'sql',
  'storage', 'compute', 'cloudbuild', 'artifactregistry', 'firestore', 'redis', 'vpcaccess', 'monitoring',
] as const;

interface Call {
  host: string;
  params: Record<string, string>;
  query: URLSearchParams;
  body: Json;
}
interface Reply {
  status?: number;
  body?: unknown;
  created?: string;
}
interface Route {
  method: string;
  pattern: RegExp;
  handle: (call: Call) => Reply;
}

/** A route: `{name}` matches one path segment up to a `:verb`, so `/v1/projects/{p}/topics/{t}:getIamPolicy` works. */
export const route = (method: string, template: string, handle: Route['handle']): Route => ({
  method,
  pattern: new RegExp(`^${template.replace(/[.()$]/g, '\\$&').replace(/\{(\w+)\}/g, '(?<$1>[^/:]+)')}$`),
  handle,
});

/** Host, path and query of a request line; a proxied request's absolute URI may name a host Node's URL refuses. */
export function requestTarget(requestUrl: string, hostHeader: string): { host: string; path: string; query: URLSearchParams } {
  const absolute = /^https?:\/\/([^/?]+)(.*)$/.exec(requestUrl);
  const [path = '/', search = ''] = (absolute ? absolute[2] || '/' : requestUrl).split('?', 2);
  return { host: absolute ? absolute[1]! : hostHeader, path, query: new URLSearchParams(search) };
}

/** What a PATCH with an update mask leaves: the named fields (snake_case or camelCase paths) taken from `changes`, or cleared. */
export function applyUpdateMask(resource: Json, changes: Json, mask: string): Json {
  const updated: Json = structuredClone(resource);
  for (const path of mask.split(',').filter(Boolean)) {
    const keys = path.split('.').map((k) => k.replace(/_(\w)/g, (_, c: string) => c.toUpperCase()));
    const value = keys.reduce<unknown>((at, k) => (at as Json | undefined)?.[k], changes);
    const parent = keys.slice(0, -1).reduce<Json>((at, k) => (at[k] ??= {}), updated);
    if (value === undefined) delete parent[keys.at(-1)!];
    else parent[keys.at(-1)!] = structuredClone(value);
  }
  return updated;
}

/** An etag that depends only on the bindings, URL-safe base64 as gcloud re-encodes it. */
export const etagOf = (bindings: IamPolicy['bindings']) => createHash('sha256').update(JSON.stringify(bindings)).digest('base64url').slice(0, 12);

const now = () => new Date().toISOString();
const error = (status: number, grpcStatus: string, message: string): Reply => ({ status, body: { error: { code: status, message, status: grpcStatus } } });
const notFound = (name: string) => error(404, 'NOT_FOUND', `Resource not found (resource=${name}).`);
/** Cloud Run's regional endpoint is `<region>-<host>`. */
const regionOf = (host: string) => /^([a-z]+-[a-z]+\d+)-/.exec(host)?.[1] ?? 'global';
/** Cloud Run's ingress annotation for a function's ingress setting. */
const runIngress: Record<string, string> = { ALLOW_ALL: 'all', ALLOW_INTERNAL_ONLY: 'internal', ALLOW_INTERNAL_AND_GCLB: 'internal-and-cloud-load-balancing' };

/** The state with Google's way of reading and changing it: 404 for missing, 409 for existing, operations over at once. */
function createStore(state: RecorderState, project: string, projectNumber: string, baseUrl: () => string) {
  let counter = 0;
  const operations = new Map<string, Json>();
  const policyOf = (name: string): IamPolicy => state.policies.get(name) ?? { version: 1, etag: etagOf([]), bindings: [] };
  const store = {
    project,
    projectNumber,
    baseUrl,
    serial: () => ++counter,
    nextId: (prefix: string) => `${prefix}-${++counter}`,
    get: (name: string): Reply => (state.resources.has(name) ? { body: state.resources.get(name) } : notFound(name)),
    has: (name: string) => state.resources.has(name),
    /** The resources whose names start with `prefix`. */
    list: (prefix: string) => [...state.resources].filter(([name]) => name.startsWith(prefix)).map(([, resource]) => resource),
    /** Creates `name` unless it exists; `answer` shapes the reply from what was stored. */
    create(name: string, resource: Json, answer: (stored: Json) => unknown = (stored) => stored): Reply {
      if (state.resources.has(name)) return error(409, 'ALREADY_EXISTS', `Resource already exists in the project (resource=${name}).`);
      const stored = { ...resource, name };
      state.resources.set(name, stored);
      return { body: answer(stored), created: name };
    },
    /** Stores a resource as is (Knative objects carry their name in `metadata`). */
    put(name: string, resource: Json): Reply {
      const created = !state.resources.has(name);
      state.resources.set(name, resource);
      return { body: resource, ...(created ? { created: name } : {}) };
    },
    replace(name: string, next: (found: Json) => Json): Reply {
      const found = state.resources.get(name);
      if (!found) return notFound(name);
      state.resources.set(name, next(found));
      return { body: state.resources.get(name) };
    },
    /** Google refuses a binding or a resource that names a service account of the project that does not exist. */
    missingAccount(emails: (string | undefined)[]): Reply | null {
      const missing = emails.find((e) => e?.endsWith(`@${project}.iam.gserviceaccount.com`) && !state.resources.has(`projects/${project}/serviceAccounts/${e}`));
      return missing ? error(400, 'INVALID_ARGUMENT', `Service account ${missing} does not exist.`) : null;
    },
    getPolicy: (name: string): Reply => (state.resources.has(name) ? { body: policyOf(name) } : notFound(name)),
    setPolicy(name: string, policy: Json): Reply {
      if (!state.resources.has(name)) return notFound(name);
      if (policy.etag && policy.etag !== policyOf(name).etag) return error(409, 'ABORTED', 'There were concurrent policy changes. Please retry the whole read-modify-write with exponential backoff.');
      const bindings = ((policy.bindings ?? []) as IamPolicy['bindings']).map((b) => ({ role: b.role, members: [...new Set(b.members)].sort() }));
      const missing = store.missingAccount(bindings.flatMap((b) => b.members.map((m) => m.replace(/^serviceAccount:/, ''))));
      if (missing) return missing;
      state.policies.set(name, { version: policy.version ?? 1, etag: etagOf(bindings), bindings });
      return { body: state.policies.get(name) };
    },
    /** Keeps a finished operation so gcloud can poll it under `name`. */
    finish(name: string, operation: Json, created?: string): Reply {
      operations.set(name, operation);
      return { body: operation, ...(created ? { created } : {}) };
    },
    operation: (name: string): Reply => (operations.has(name) ? { body: operations.get(name) } : notFound(name)),
  };
  state.resources.set(`projects/${project}`, { projectId: project, projectNumber, name: project, lifecycleState: 'ACTIVE' });
  return store;
}
type Store = ReturnType<typeof createStore>;

/** getIamPolicy (GET or POST) and setIamPolicy on the resource a template names. */
const iam = (s: Store, template: string, nameOf: (params: Record<string, string>) => string): Route[] => [
  route('GET', `${template}:getIamPolicy`, ({ params }) => s.getPolicy(nameOf(params))),
  route('POST', `${template}:getIamPolicy`, ({ params }) => s.getPolicy(nameOf(params))),
  route('POST', `${template}:setIamPolicy`, ({ params, body }) => s.setPolicy(nameOf(params), body.policy)),
];

/** A google.longrunning.Operation that is already done. */
const finished = (s: Store, name: string, response: Json, metadata?: Json, created?: string) =>
  s.finish(name, { name, done: true, ...(metadata ? { metadata } : {}), response }, created);

const pubsub = (s: Store): Route[] => [
  route('PUT', '/v1/projects/{p}/topics/{t}', ({ params }) => s.create(`projects/${params.p}/topics/${params.t}`, {})),
  route('GET', '/v1/projects/{p}/topics/{t}', ({ params }) => s.get(`projects/${params.p}/topics/${params.t}`)),
  ...iam(s, '/v1/projects/{p}/topics/{t}', ({ p, t }) => `projects/${p}/topics/${t}`),
  route('PUT', '/v1/projects/{p}/subscriptions/{sub}', ({ params, body }) =>
    s.has(body.topic)
      ? (s.missingAccount([body.pushConfig?.oidcToken?.serviceAccountEmail]) ?? s.create(`projects/${params.p}/subscriptions/${params.sub}`, { ...body, state: 'ACTIVE' }))
      : notFound(body.topic),
  ),
  route('GET', '/v1/projects/{p}/subscriptions/{sub}', ({ params }) => s.get(`projects/${params.p}/subscriptions/${params.sub}`)),
  route('PATCH', '/v1/projects/{p}/subscriptions/{sub}', ({ params, body }) =>
    s.replace(`projects/${params.p}/subscriptions/${params.sub}`, (found) => applyUpdateMask(found, body.subscription, body.updateMask)),
  ),
  ...iam(s, '/v1/projects/{p}/subscriptions/{sub}', ({ p, sub }) => `projects/${p}/subscriptions/${sub}`),
];

/** Runtimes as Cloud Run functions lists them, with Google's published deprecation and decommission dates. */
const runtimes = [
  { name: 'nodejs20', displayName: 'Node.js 20', deprecation: '2026-04-30', decommission: '2026-10-30' },
  { name: 'nodejs22', displayName: 'Node.js 22', deprecation: '2027-04-30', decommission: '2027-10-31' },
];
const date = (iso: string) => ({ year: Number(iso.slice(0, 4)), month: Number(iso.slice(5, 7)), day: Number(iso.slice(8, 10)) });
const runtimeList = () =>
  runtimes.map((r) => {
    const stage = now() >= r.decommission ? 'DECOMMISSIONED' : now() >= r.deprecation ? 'DEPRECATED' : 'GA';
    const warnings = stage === 'GA' ? [] : [`${r.displayName} is ${stage.toLowerCase()} (deprecated ${r.deprecation}, decommissioned ${r.decommission}).`];
    return { name: r.name, displayName: r.displayName, environment: 'GEN_2', stage, warnings, deprecationDate: date(r.deprecation), decommissionDate: date(r.decommission) };
  });

const functionUrl = (s: Store, fn: string, region: string) => `https://${fn}-${s.projectNumber}.${region}.run.app`;

/** Cloud Run functions v2: the upload URL, the Function (create or patch, as an operation), and its Cloud Run service. */
const cloudfunctions = (s: Store): Route[] => {
  const at = ({ p, r }: Record<string, string>) => `projects/${p}/locations/${r}`;
  const operation = (params: Record<string, string>, name: string, verb: string, created?: string) =>
    finished(s, `${at(params)}/operations/${s.nextId('operation')}`, { '@type': 'type.googleapis.com/google.cloud.functions.v2.Function', ...(s.get(name).body as Json) }, {
      '@type': 'type.googleapis.com/google.cloud.functions.v2.OperationMetadata', target: name, verb, createTime: now(), endTime: now(),
    }, created);
  return [
    route('GET', '/v2/projects/{p}/locations/{r}/runtimes', () => ({ body: { runtimes: runtimeList() } })),
    route('POST', '/v2/projects/{p}/locations/{r}/functions:generateUploadUrl', ({ params }) => {
      const object = `${s.nextId(params.r!)}.zip`;
      return { body: { uploadUrl: `${s.baseUrl()}/upload/${object}`, storageSource: { bucket: `gcf-v2-uploads-${s.projectNumber}.${params.r}.cloudfunctions.appspot.com`, object } } };
    }),
    route('POST', '/v2/projects/{p}/locations/{r}/functions', ({ params, query, body }) => {
      const fn = query.get('functionId')!;
      const name = `${at(params)}/functions/${fn}`;
      const url = functionUrl(s, fn, params.r!);
      const service = `${at(params)}/services/${fn}`;
      const missing = s.missingAccount([body.serviceConfig?.serviceAccountEmail, String(body.buildConfig?.serviceAccount ?? '').split('/').at(-1)]);
      if (missing) return missing;
      const reply = s.create(name, { ...body, environment: 'GEN_2', state: 'ACTIVE', url, serviceConfig: { ...body.serviceConfig, uri: url, service }, updateTime: now() });
      if (reply.status) return reply;
      s.put(service, knativeService(s, service, body.serviceConfig, url));
      return operation(params, name, 'create', name);
    }),
    route('GET', '/v2/projects/{p}/locations/{r}/functions/{f}', ({ params }) => s.get(`${at(params)}/functions/${params.f}`)),
    route('PATCH', '/v2/projects/{p}/locations/{r}/functions/{f}', ({ params, query, body }) => {
      const name = `${at(params)}/functions/${params.f}`;
      const reply = s.replace(name, (found) => ({ ...applyUpdateMask(found, body, query.get('updateMask') ?? ''), updateTime: now() }));
      return reply.status ? reply : operation(params, name, 'update');
    }),
    route('GET', '/v2/projects/{p}/locations/{r}/operations/{op}', ({ params }) => s.operation(`${at(params)}/operations/${params.op}`)),
  ];
};

/** The Knative Service Cloud Run keeps behind a function, rolled out to its first revision. */
function knativeService(s: Store, name: string, config: Json, url: string): Json {
  const [, project, , region, , fn] = name.split('/') as string[];
  return rolledOut(s, name, {
    apiVersion: 'serving.knative.dev/v1',
    kind: 'Service',
    metadata: { name: fn, namespace: s.projectNumber, generation: 0, labels: { 'goog-managed-by': 'cloudfunctions' }, annotations: { 'run.googleapis.com/ingress': runIngress[config.ingressSettings] ?? 'all' } },
    spec: {
      template: {
        metadata: { annotations: {} },
        spec: {
          containerConcurrency: config.maxInstanceRequestConcurrency,
          timeoutSeconds: config.timeoutSeconds,
          serviceAccountName: config.serviceAccountEmail,
          containers: [{ image: `${region}-docker.pkg.dev/${project}/gcf-artifacts/${fn}:latest`, resources: { limits: { cpu: config.availableCpu, memory: config.availableMemory } } }],
        },
      },
      traffic: [{ percent: 100, latestRevision: true }],
    },
    status: { url, address: { url } },
  });
}

/** A Knative Service once its change is rolled out: next generation, observed and Ready, serving a new Revision. */
function rolledOut(s: Store, name: string, service: Json): Json {
  const generation = Number(service.metadata.generation ?? 0) + 1;
  const revision = `${service.metadata.name}-${String(generation).padStart(5, '0')}-rec`;
  s.put(name.replace(/services\/.*$/, `revisions/${revision}`), {
    apiVersion: 'serving.knative.dev/v1',
    kind: 'Revision',
    metadata: {
      ...service.spec.template.metadata, name: revision, namespace: s.projectNumber, generation: 1,
      labels: { ...service.spec.template.metadata.labels, 'serving.knative.dev/service': service.metadata.name },
    },
    spec: service.spec.template.spec,
    status: { observedGeneration: 1, conditions: [{ type: 'Ready', status: 'True' }] },
  });
  const conditions = ['Ready', 'ConfigurationsReady', 'RoutesReady'].map((type) => ({ type, status: 'True', lastTransitionTime: now() }));
  return {
    ...service,
    metadata: { ...service.metadata, generation, resourceVersion: `v${generation}`, uid: name },
    status: { ...service.status, observedGeneration: generation, conditions, latestCreatedRevisionName: revision, latestReadyRevisionName: revision, traffic: [{ revisionName: revision, percent: 100, latestRevision: true }] },
  };
}

/** Cloud Run: the Knative API on the regional host (`run services update`), and IAM on the global one (invokers). */
const run = (s: Store): Route[] => {
  const service = (project: string, host: string, svc: string) => `projects/${project === s.projectNumber ? s.project : project}/locations/${regionOf(host)}/services/${svc}`;
  return [
    route('GET', '/apis/serving.knative.dev/v1/namespaces/{n}/services/{svc}', ({ params, host }) => s.get(service(params.n!, host, params.svc!))),
    route('PUT', '/apis/serving.knative.dev/v1/namespaces/{n}/services/{svc}', ({ params, host, body }) =>
      s.replace(service(params.n!, host, params.svc!), (found) => rolledOut(s, service(params.n!, host, params.svc!), { ...body, metadata: { ...body.metadata, generation: found.metadata.generation }, status: found.status })),
    ),
    // gcloud finds the revision its last update made by the nonce label it put on the template.
    route('GET', '/apis/serving.knative.dev/v1/namespaces/{n}/revisions', ({ params, host, query }) => {
      const prefix = service(params.n!, host, '').replace('/services/', '/revisions/');
      const selector = (query.get('labelSelector') ?? '').split(',').filter(Boolean).map((term) => term.split('=').map((side) => side.trim()) as [string, string]);
      const items = s.list(prefix).filter((r) => selector.every(([key, value]) => r.metadata.labels?.[key] === value));
      return { body: { apiVersion: 'serving.knative.dev/v1', kind: 'RevisionList', metadata: {}, items } };
    }),
    route('GET', '/apis/serving.knative.dev/v1/namespaces/{n}/revisions/{rev}', ({ params, host }) => s.get(service(params.n!, host, params.rev!).replace('/services/', '/revisions/'))),
    route('GET', '/v1/projects/{p}/locations/{r}/services/{svc}', ({ params }) => s.get(`projects/${params.p}/locations/${params.r}/services/${params.svc}`)),
    ...iam(s, '/v1/projects/{p}/locations/{r}/services/{svc}', ({ p, r, svc }) => `projects/${p}/locations/${r}/services/${svc}`),
  ];
};

/** Cloud SQL Admin v1beta4: instances, databases and users, each change a `sql#operation` that is DONE. */
const sql = (s: Store): Route[] => {
  const operation = (project: string, operationType: string, targetId: string, reply: Reply): Reply => {
    if (reply.status) return reply;
    const name = s.nextId('sql-operation');
    const selfLink = `${s.baseUrl()}/sql/v1beta4/projects/${project}/operations/${name}`;
    return s.finish(`projects/${project}/operations/${name}`, { kind: 'sql#operation', name, status: 'DONE', operationType, targetId, targetProject: project, insertTime: now(), endTime: now(), selfLink }, reply.created);
  };
  const inInstance = ({ p, i }: Record<string, string>, child: string, resource: Json): Reply =>
    s.has(`projects/${p}/instances/${i}`) ? s.create(`projects/${p}/instances/${i}/${child}`, { ...resource, instance: i, project: p }, (r) => ({ ...r, name: resource.name })) : notFound(`projects/${p}/instances/${i}`);
  return [
    route('POST', '/sql/v1beta4/projects/{p}/instances', ({ params, body }) =>
      operation(params.p!, 'CREATE', body.name, s.create(`projects/${params.p}/instances/${body.name}`, { ...body, state: 'RUNNABLE', connectionName: `${params.p}:${body.region}:${body.name}` }, (r) => ({ ...r, name: body.name }))),
    ),
    route('GET', '/sql/v1beta4/projects/{p}/instances/{i}', ({ params }) => {
      const reply = s.get(`projects/${params.p}/instances/${params.i}`);
      return reply.status ? reply : { body: { ...(reply.body as Json), name: params.i } };
    }),
    route('POST', '/sql/v1beta4/projects/{p}/instances/{i}/databases', ({ params, body }) => operation(params.p!, 'CREATE_DATABASE', params.i!, inInstance(params, `databases/${body.name}`, body))),
    route('POST', '/sql/v1beta4/projects/{p}/instances/{i}/users', ({ params, body }) => operation(params.p!, 'CREATE_USER', params.i!, inInstance(params, `users/${body.name}`, body))),
    route('GET', '/sql/v1beta4/projects/{p}/operations/{op}', ({ params }) => s.operation(`projects/${params.p}/operations/${params.op}`)),
  ];
};

/** Cloud Storage JSON API: buckets and their IAM policy (its own JSON shape, PUT without a wrapper). */
const storage = (s: Store): Route[] => {
  const policy = (bucket: string, reply: Reply): Reply => (reply.status ? reply : { body: { kind: 'storage#policy', resourceId: `projects/_/buckets/${bucket}`, ...(reply.body as Json) } });
  return [
    route('POST', '/storage/v1/b', ({ body }) => {
      const reply = s.create(`buckets/${body.name}`, { ...body, kind: 'storage#bucket', id: body.name, location: String(body.location).toUpperCase(), timeCreated: now() }, (b) => ({ ...b, name: body.name }));
      return reply.status === 409 ? { status: 409, body: { error: { code: 409, message: 'Your previous request to create the named bucket succeeded and you already own it.', errors: [{ reason: 'conflict' }] } } } : reply;
    }),
    route('GET', '/storage/v1/b/{b}', ({ params }) => s.get(`buckets/${params.b}`)),
    route('GET', '/storage/v1/b/{b}/iam', ({ params }) => policy(params.b!, s.getPolicy(`buckets/${params.b}`))),
    route('PUT', '/storage/v1/b/{b}/iam', ({ params, body }) => policy(params.b!, s.setPolicy(`buckets/${params.b}`, body))),
  ];
};

/** Firestore Admin: the database, created through an operation. */
const firestore = (s: Store): Route[] => [
  route('POST', '/v1/projects/{p}/databases', ({ params, query, body }) => {
    const name = `projects/${params.p}/databases/${query.get('databaseId')}`;
    const reply = s.create(name, { ...body, uid: name, createTime: now() });
    if (reply.status) return reply;
    return finished(s, `${name}/operations/${s.nextId('firestore')}`, { '@type': 'type.googleapis.com/google.firestore.admin.v1.Database', ...(reply.body as Json) }, { '@type': 'type.googleapis.com/google.firestore.admin.v1.CreateDatabaseMetadata' }, name);
  }),
  route('GET', '/v1/projects/{p}/databases/{d}', ({ params }) => s.get(`projects/${params.p}/databases/${params.d}`)),
  route('GET', '/v1/projects/{p}/databases/{d}/operations/{op}', ({ params }) => s.operation(`projects/${params.p}/databases/${params.d}/operations/${params.op}`)),
];

/** Compute Engine, global and regional collections alike: insert, get, update (PUT) and patch, each a `compute#operation` that is DONE. */
const compute = (s: Store): Route[] =>
  ['global', 'regions/{r}'].flatMap((scope) => {
    const at = ({ p, r }: Record<string, string>) => `projects/${p}/${r ? `regions/${r}` : 'global'}`;
    const link = (name: string) => `${s.baseUrl()}/compute/v1/${name}`;
    const operation = (params: Record<string, string>, operationType: string, target: string, reply: Reply): Reply => {
      if (reply.status === 409) return error(409, 'ALREADY_EXISTS', `The resource '${target}' already exists`);
      if (reply.status) return reply;
      const name = s.nextId('compute-operation');
      const op = {
        kind: 'compute#operation', id: name.replace(/\D/g, ''), name, operationType, status: 'DONE', progress: 100, targetLink: link(target), selfLink: link(`${at(params)}/operations/${name}`),
        insertTime: now(), endTime: now(), ...(params.r ? { region: link(at(params)) } : {}),
      };
      return s.finish(`${at(params)}/operations/${name}`, op, reply.created);
    };
    const base = `/compute/v1/projects/{p}/${scope}`;
    const named = (params: Record<string, string>) => `${at(params)}/${params.kind}/${params.name}`;
    const withShortName = (r: Json) => ({ ...r, name: r.name.split('/').at(-1) });
    return [
      route('POST', `${base}/{kind}`, ({ params, body }) => {
        const name = `${at(params)}/${params.kind}/${body.name}`;
        return operation(params, 'insert', name, s.create(name, { ...body, kind: `compute#${params.kind!.replace(/s$/, '')}`, selfLink: link(name), creationTimestamp: now() }, withShortName));
      }),
      route('GET', `${base}/{kind}/{name}`, ({ params }) => {
        const reply = s.get(named(params));
        return reply.status ? reply : { body: withShortName(reply.body as Json) };
      }),
      route('PUT', `${base}/{kind}/{name}`, ({ params, body }) => operation(params, 'update', named(params), s.replace(named(params), () => ({ ...body, name: named(params) })))),
      route('PATCH', `${base}/{kind}/{name}`, ({ params, body }) => operation(params, 'patch', named(params), s.replace(named(params), (found) => ({ ...found, ...body, name: named(params) })))),
      route('GET', `${base}/operations/{op}`, ({ params }) => s.operation(`${at(params)}/operations/${params.op}`)),
      route('POST', `${base}/operations/{op}/wait`, ({ params }) => s.operation(`${at(params)}/operations/${params.op}`)),
    ];
  });

/** Regional resources created through a google.longrunning operation (Memorystore instances, VPC Access connectors). */
const regionalLongRunning = (s: Store, api: string, collection: string, idParam: string, resourceType: string, ready: Json): Route[] => {
  const at = ({ p, r }: Record<string, string>) => `projects/${p}/locations/${r}`;
  return [
    route('POST', `/v1/projects/{p}/locations/{r}/${collection}`, ({ params, query, body }) => {
      const name = `${at(params)}/${collection}/${query.get(idParam)}`;
      const reply = s.create(name, { ...body, ...ready, createTime: now() });
      if (reply.status) return reply;
      const metadata = { '@type': `type.googleapis.com/google.cloud.${api}.v1.OperationMetadata`, target: name, createTime: now(), endTime: now() };
      return finished(s, `${at(params)}/operations/${api}-${s.serial()}`, { '@type': `type.googleapis.com/google.cloud.${api}.v1.${resourceType}`, ...(reply.body as Json) }, metadata, name);
    }),
    route('GET', `/v1/projects/{p}/locations/{r}/${collection}/{id}`, ({ params }) => s.get(`${at(params)}/${collection}/${params.id}`)),
    route('GET', `/v1/projects/{p}/locations/{r}/operations/${api}-{op}`, ({ params }) => s.operation(`${at(params)}/operations/${api}-${params.op}`)),
  ];
};

const cloudscheduler = (s: Store): Route[] => [
  route('POST', '/v1/projects/{p}/locations/{r}/jobs', ({ body }) =>
    s.missingAccount([body.httpTarget?.oidcToken?.serviceAccountEmail]) ?? s.create(body.name, { ...body, state: 'ENABLED', userUpdateTime: now() }),
  ),
  route('GET', '/v1/projects/{p}/locations/{r}/jobs/{j}', ({ params }) => s.get(`projects/${params.p}/locations/${params.r}/jobs/${params.j}`)),
  route('PATCH', '/v1/projects/{p}/locations/{r}/jobs/{j}', ({ params, query, body }) =>
    s.replace(`projects/${params.p}/locations/${params.r}/jobs/${params.j}`, (found) => ({ ...applyUpdateMask(found, body, query.get('updateMask') ?? ''), userUpdateTime: now() })),
  ),
];

const cloudresourcemanager = (s: Store): Route[] => [
  route('GET', '/v1/projects/{p}', ({ params }) => s.get(`projects/${params.p}`)),
  ...iam(s, '/v1/projects/{p}', ({ p }) => `projects/${p}`),
];

const iamApi = (s: Store): Route[] => [
  route('POST', '/v1/projects/{p}/serviceAccounts', ({ params, body }) => {
    const email = `${body.accountId}@${params.p}.iam.gserviceaccount.com`;
    return s.create(`projects/${params.p}/serviceAccounts/${email}`, { ...body.serviceAccount, email, projectId: params.p, uniqueId: String(100_000_000_000 + s.serial()) });
  }),
  route('GET', '/v1/projects/{p}/serviceAccounts/{email}', ({ params }) => s.get(`projects/${params.p}/serviceAccounts/${params.email}`)),
];

/** Secret Manager: secrets, their IAM policy, and versions (named by project number, `latest` the newest). */
/** Alert policies (v3) and dashboards (v1): the server names what it creates; a list answers every one. */
const monitoring = (s: Store): Route[] => {
  const collection = (version: string, kind: string, listKey: string) => [
    route('POST', `/${version}/projects/{p}/${kind}`, ({ params, body }) => s.create(`projects/${params.p}/${kind}/${s.nextId(kind)}`, { ...body, etag: `e${s.serial()}` })),
    route('GET', `/${version}/projects/{p}/${kind}`, ({ params }) => ({ body: { [listKey]: s.list(`projects/${params.p}/${kind}/`) } })),
    route('GET', `/${version}/projects/{p}/${kind}/{id}`, ({ params }) => s.get(`projects/${params.p}/${kind}/${params.id}`)),
    route('PATCH', `/${version}/projects/{p}/${kind}/{id}`, ({ params, body }) =>
      s.replace(`projects/${params.p}/${kind}/${params.id}`, (found) => ({ ...body, name: found.name, etag: `e${s.serial()}` })),
    ),
  ];
  return [...collection('v3', 'alertPolicies', 'alertPolicies'), ...collection('v1', 'dashboards', 'dashboards')];
};

const secretmanager = (s: Store): Route[] => {
  const versions = (secret: string) => `projects/${s.projectNumber}/secrets/${secret}/versions`;
  const secretName = ({ p, secret }: Record<string, string>) => `projects/${p}/secrets/${secret}`;
  return [
    route('POST', '/v1/projects/{p}/secrets', ({ params, query, body }) => s.create(`projects/${params.p}/secrets/${query.get('secretId')}`, { ...body, createTime: now() })),
    route('GET', '/v1/projects/{p}/secrets/{secret}', ({ params }) => s.get(secretName(params))),
    ...iam(s, '/v1/projects/{p}/secrets/{secret}', secretName),
    route('POST', '/v1/projects/{p}/secrets/{secret}:addVersion', ({ params }) => {
      const secret = s.get(secretName(params));
      if (secret.status) return secret;
      const version = Number((secret.body as Json).versionCount ?? 0) + 1;
      s.replace(secretName(params), (found) => ({ ...found, versionCount: version }));
      return s.create(`${versions(params.secret!)}/${version}`, { state: 'ENABLED', createTime: now(), clientSpecifiedPayloadChecksum: true });
    }),
    route('GET', '/v1/projects/{p}/secrets/{secret}/versions/{v}', ({ params }) => {
      const latest = params.v === 'latest' ? (s.get(secretName(params)).body as Json | undefined)?.versionCount : params.v;
      return s.get(`${versions(params.secret!)}/${latest ?? 'latest'}`);
    }),
  ];
};

/** Service Usage: services are DISABLED until enabled; enabling is idempotent, so it creates nothing. */
const serviceusage = (s: Store): Route[] => {
  const service = (id: string) => `projects/${s.projectNumber}/services/${id}`;
  const enable = (ids: string[]) => {
    for (const id of ids) if (!s.has(service(id))) s.create(service(id), { state: 'ENABLED', parent: `projects/${s.projectNumber}` });
    return finished(s, `operations/${s.nextId('enable')}`, { '@type': 'type.googleapis.com/google.api.serviceusage.v1.BatchEnableServicesResponse', services: ids.map((id) => s.get(service(id)).body) });
  };
  return [
    route('POST', '/v1/projects/{p}/services:batchEnable', ({ body }) => enable(body.serviceIds)),
    route('POST', '/v1/projects/{p}/services/{id}:enable', ({ params }) => enable([params.id!])),
    route('GET', '/v1/projects/{p}/services/{id}', ({ params }) => (s.has(service(params.id!)) ? s.get(service(params.id!)) : { body: { name: service(params.id!), state: 'DISABLED' } })),
    route('GET', '/v1/operations/{op}', ({ params }) => s.operation(`operations/${params.op}`)),
  ];
};

/**
 * Starts a local stand-in for the Google APIs the deploy plan calls: it keeps their state (so a second run finds
 * everything), answers as Google does, and records every request. `env` is all gcloud needs to reach it (and only it).
 */
export async function startGcloudRecorder(options: { project?: string; projectNumber?: string } = {}): Promise<{
  url: string;
  env: NodeJS.ProcessEnv;
  requests: RecordedRequest[];
  state: RecorderState;
  close(): Promise<void>;
}> {
  const project = options.project ?? 'saga-recorded';
  const state: RecorderState = { resources: new Map(), policies: new Map() };
  const requests: RecordedRequest[] = [];
  let url = '';
  const s = createStore(state, project, options.projectNumber ?? '123456789012', () => url);
  const apis: Record<string, Route[]> = {
    pubsub: pubsub(s), cloudfunctions: cloudfunctions(s), run: run(s), sql: sql(s), storage: storage(s), firestore: firestore(s), compute: compute(s),
    redis: regionalLongRunning(s, 'redis', 'instances', 'instanceId', 'Instance', { state: 'READY', host: '10.0.0.3', port: 6379 }),
    vpcaccess: regionalLongRunning(s, 'vpcaccess', 'connectors', 'connectorId', 'Connector', { state: 'READY' }),
    cloudscheduler: cloudscheduler(s), cloudresourcemanager: cloudresourcemanager(s), iam: iamApi(s), secretmanager: secretmanager(s), serviceusage: serviceusage(s), monitoring: monitoring(s),
  };
  const answer = (method: string, path: string, call: Omit<Call, 'params'>): { api: string; reply: Reply } => {
    for (const [api, routes] of Object.entries(apis)) {
      for (const r of routes) {
        const match = r.method === method ? r.pattern.exec(path) : null;
        const params = Object.fromEntries(Object.entries(match?.groups ?? {}).map(([k, v]) => [k, decodeURIComponent(v)]));
        if (match) return { api, reply: r.handle({ ...call, params }) };
      }
    }
    // A 4xx, not a 5xx: gcloud retries 5xx answers.
    return { api: 'unknown', reply: error(400, 'INVALID_ARGUMENT', `gcloud recorder: no route for ${method} ${path}`) };
  };

  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    const method = req.method ?? 'GET';
    const { host, path, query } = requestTarget(req.url ?? '/', req.headers.host ?? '');
    const upload = method === 'PUT' && path.startsWith('/upload/');
    let body: Json | null = null;
    if (!upload && raw.length) {
      try {
        body = JSON.parse(raw.toString()) as Json;
      } catch {
        body = null;
      }
    }
    const { api, reply } = upload ? { api: 'upload', reply: {} } : answer(method, path, { host, query, body: body ?? {} });
    const status = reply.status ?? 200;
    requests.push({ api, method, host, path, query: Object.fromEntries(query), body, size: raw.length, status, created: reply.created ?? null });
    res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(reply.body ?? {}));
  });
  // An API without an override would tunnel to the real Google host through the proxy: refuse, and record the attempt.
  server.on('connect', (req: http.IncomingMessage, socket: Socket) => {
    requests.push({ api: 'unknown', method: 'CONNECT', host: req.url ?? '', path: '', query: {}, body: null, size: 0, status: 403, created: null });
    socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
  });
  const served = await serveOnLoopback(server, 0);
  url = served.url;

  const config = mkdtempSync(join(tmpdir(), 'gcloud-recorder-'));
  const tokenFile = join(config, 'access-token');
  writeFileSync(tokenFile, 'recorded-access-token');
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    // gcloud reads nothing of the real home: its configuration, credentials and logs live in the temporary directory.
    HOME: config,
    CLOUDSDK_CONFIG: config,
    CLOUDSDK_CORE_PROJECT: project,
    CLOUDSDK_AUTH_ACCESS_TOKEN_FILE: tokenFile,
    CLOUDSDK_CORE_DISABLE_PROMPTS: '1',
    CLOUDSDK_CORE_DISABLE_USAGE_REPORTING: 'true',
    CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK: 'true',
    CLOUDSDK_PROXY_TYPE: 'http',
    CLOUDSDK_PROXY_ADDRESS: '127.0.0.1',
    CLOUDSDK_PROXY_PORT: url.split(':').at(-1)!,
    ...Object.fromEntries(recordedApis.map((api) => [`CLOUDSDK_API_ENDPOINT_OVERRIDES_${api.toUpperCase()}`, `${url}/`])),
  };

  return {
    url,
    env,
    requests,
    state,
    async close() {
      await served.close();
      rmSync(config, { recursive: true, force: true });
    },
  };
}
