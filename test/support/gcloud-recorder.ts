import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serveOnLoopback } from '../../scripts/stack/process.ts';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** One request gcloud made, as the recorder saw and answered it. */
export interface RecordedRequest {
  /** The API whose route answered it (`pubsub`, `cloudfunctions`, …), `upload` for the source zip, `unknown` if none. */
  api: string;
  method: string;
  host: string;
  path: string;
  query: Record<string, string>;
  /** The parsed JSON body; null when there is none (or for the source upload). */
  body: Json | null;
  /** Bytes received. */
  size: number;
  status: number;
  /** The resource this request created, or null. */
  created: string | null;
}

/** An IAM policy as Google stores it. */
export interface IamPolicy {
  version: number;
  etag: string;
  bindings: { role: string; members: string[] }[];
}

/** What the recorder holds: resources by their full name, and the IAM policy of each resource that has one. */
export interface RecorderState {
  resources: Map<string, Json>;
  policies: Map<string, IamPolicy>;
}

interface Call {
  method: string;
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

/** Every API the recorder answers, by the name gcloud's endpoint override uses. */
export const recordedApis = [
  'pubsub', 'cloudfunctions', 'run', 'iam', 'cloudresourcemanager', 'serviceusage', 'cloudscheduler', 'secretmanager', 'sql',
  'storage', 'compute', 'cloudbuild', 'artifactregistry', 'firestore',
] as const;

/** `{name}` matches one path segment (without `:`, so `{topic}:getIamPolicy` works); `{name*}` matches the rest. */
const route = (method: string, template: string, handle: Route['handle']): Route => ({
  method,
  pattern: new RegExp(`^${template.replace(/[.()$]/g, '\\$&').replace(/\{(\w+)\*\}/g, '(?<$1>.+)').replace(/\{(\w+)\}/g, '(?<$1>[^/:]+)')}$`),
  handle,
});

const error = (status: number, grpc: string, message: string): Reply => ({ status, body: { error: { code: status, message, status: grpc } } });
/** Cloud Run's ingress annotation for a function's ingress setting. */
const runIngress: Record<string, string> = { ALLOW_ALL: 'all', ALLOW_INTERNAL_ONLY: 'internal', ALLOW_INTERNAL_AND_GCLB: 'internal-and-cloud-load-balancing' };
/** Regional endpoints are `<region>-<host>` (Cloud Run's Knative API). */
const regionOf = (host: string) => /^([a-z]+-[a-z]+\d+)-/.exec(host)?.[1] ?? 'global';
const now = () => new Date().toISOString();
const notFound = (name: string) => error(404, 'NOT_FOUND', `Resource not found (resource=${name}).`);
const exists = (name: string) => error(409, 'ALREADY_EXISTS', `Resource already exists in the project (resource=${name}).`);

/** Starts the recorder on a loopback port; `env` points a fresh gcloud configuration at it and at nothing else. */
export async function startGcloudRecorder(options: { project?: string; projectNumber?: string } = {}): Promise<{
  url: string;
  env: NodeJS.ProcessEnv;
  requests: RecordedRequest[];
  state: RecorderState;
  close(): Promise<void>;
}> {
  const project = options.project ?? 'saga-recorded';
  const projectNumber = options.projectNumber ?? '123456789012';
  const state: RecorderState = { resources: new Map(), policies: new Map() };
  const requests: RecordedRequest[] = [];
  let url = '';
  let operations = 0;
  let uploads = 0;
  const opId = () => `op-${++operations}`;

  const get = (name: string): Reply => {
    const found = state.resources.get(name);
    return found ? { body: found } : notFound(name);
  };
  const create = (name: string, resource: Json, answer: (stored: Json) => unknown = (stored) => stored): Reply => {
    if (state.resources.has(name)) return exists(name);
    const stored = { ...resource, name };
    state.resources.set(name, stored);
    return { body: answer(stored), created: name };
  };
  const patch = (name: string, changes: Json, answer: (stored: Json) => unknown = (stored) => stored): Reply => {
    const found = state.resources.get(name);
    if (!found) return notFound(name);
    const stored = { ...found, ...changes, name };
    state.resources.set(name, stored);
    return { body: answer(stored) };
  };
  /** Applies the fields an update mask names (`a,b.c`), as Google's PATCH does: a named field missing from the body is cleared. */
  const patchMasked = (name: string, changes: Json, mask: string | null): Reply => {
    const found = state.resources.get(name);
    if (!found) return notFound(name);
    const stored: Json = structuredClone(found);
    for (const path of (mask ?? Object.keys(changes).join(',')).split(',').filter(Boolean)) {
      const keys = path.split('.').map((k) => k.replace(/_(\w)/g, (_, c: string) => c.toUpperCase()));
      const value = keys.reduce<unknown>((at, k) => (at as Json | undefined)?.[k], changes);
      const parent = keys.slice(0, -1).reduce<Json>((at, k) => (at[k] ??= {}), stored);
      if (value === undefined) delete parent[keys.at(-1)!];
      else parent[keys.at(-1)!] = value;
    }
    state.resources.set(name, stored);
    return { body: stored };
  };
  const operationsDone = new Map<string, Json>();
  /** A long-running operation that is already over; gcloud polls it by name. */
  const done = (name: string, response: Json, metadata?: Json): Reply => {
    const operation = { name, done: true, ...(metadata ? { metadata } : {}), response };
    operationsDone.set(name, operation);
    return { body: operation };
  };
  const operation = (name: string): Reply => {
    const found = operationsDone.get(name);
    return found ? { body: found } : notFound(name);
  };
  const etagOf = (bindings: IamPolicy['bindings']) => createHash('sha256').update(JSON.stringify(bindings)).digest('base64url').slice(0, 12);
  const policyOf = (name: string): IamPolicy => state.policies.get(name) ?? { version: 1, etag: etagOf([]), bindings: [] };
  const getPolicy = (name: string): Reply => (state.resources.has(name) || name === `projects/${project}` ? { body: policyOf(name) } : notFound(name));
  const setPolicy = (name: string, policy: Json): Reply => {
    if (!state.resources.has(name) && name !== `projects/${project}`) return notFound(name);
    if (policy.etag && policy.etag !== policyOf(name).etag) return error(409, 'ABORTED', 'There were concurrent policy changes.');
    const bindings = ((policy.bindings ?? []) as IamPolicy['bindings']).map((b) => ({ role: b.role, members: [...b.members].sort() }));
    const stored = { version: policy.version ?? 1, etag: etagOf(bindings), bindings };
    state.policies.set(name, stored);
    return { body: stored };
  };

  /** getIamPolicy (GET or POST) and setIamPolicy on the resource a template names. */
  const iam = (template: string, nameOf: (params: Record<string, string>) => string): Route[] => [
    route('GET', `${template}:getIamPolicy`, ({ params }) => getPolicy(nameOf(params))),
    route('POST', `${template}:getIamPolicy`, ({ params }) => getPolicy(nameOf(params))),
    route('POST', `${template}:setIamPolicy`, ({ params, body }) => setPolicy(nameOf(params), body.policy)),
  ];

  /** Knative namespaces are project numbers or ids. */
  const projectOf = (namespace: string) => (namespace === projectNumber ? project : namespace);
  const functionUrl = (name: string) => {
    const [, , , region, , fn] = name.split('/');
    return `https://${fn}-${projectNumber}.${region}.run.app`;
  };
  /** A Function as Google keeps it after a build: active, with its Cloud Run service and URL. */
  const deployed = (name: string, body: Json): Json => ({
    ...body,
    environment: 'GEN_2',
    state: 'ACTIVE',
    url: functionUrl(name),
    serviceConfig: { ...body.serviceConfig, uri: functionUrl(name), service: name.replace('/functions/', '/services/') },
    updateTime: now(),
  });
  /** The Cloud Run service behind a function, in Knative form: what `run services update` and invoker bindings act on. */
  const ensureService = (functionName: string) => {
    const [, project, , region, , fn] = functionName.split('/');
    const name = functionName.replace('/functions/', '/services/');
    if (state.resources.has(name)) return;
    const config = state.resources.get(functionName)!.serviceConfig as Json;
    const uri = functionUrl(functionName);
    state.resources.set(name, knative(name, {
      apiVersion: 'serving.knative.dev/v1',
      kind: 'Service',
      metadata: { name: fn, namespace: projectNumber, generation: 0, labels: { 'goog-managed-by': 'cloudfunctions' }, annotations: { 'run.googleapis.com/ingress': runIngress[config.ingressSettings] ?? 'all' } },
      spec: { template: { metadata: { annotations: {} }, spec: {
          containerConcurrency: config.maxInstanceRequestConcurrency,
          timeoutSeconds: config.timeoutSeconds,
          serviceAccountName: config.serviceAccountEmail,
          containers: [{ image: `${region}-docker.pkg.dev/${project}/gcf-artifacts/${fn}:latest`, resources: { limits: { cpu: config.availableCpu, memory: config.availableMemory } } }],
        } }, traffic: [{ percent: 100, latestRevision: true }] },
      status: { url: uri, address: { url: uri } },
    }));
  };
  /** A Knative Service after a change is rolled out: next generation, observed, Ready, with its new revision. */
  const knative = (name: string, service: Json): Json => {
    const generation = Number(service.metadata?.generation ?? 0) + 1;
    const revision = `${service.metadata.name}-${String(generation).padStart(5, '0')}-rec`;
    const conditions = ['Ready', 'ConfigurationsReady', 'RoutesReady'].map((type) => ({ type, status: 'True', lastTransitionTime: now() }));
    state.resources.set(name.replace(/services\/.*$/, `revisions/${revision}`), {
      apiVersion: 'serving.knative.dev/v1',
      kind: 'Revision',
      metadata: { ...service.spec.template.metadata, name: revision, namespace: projectNumber, generation: 1, labels: { 'serving.knative.dev/service': service.metadata.name } },
      spec: service.spec.template.spec,
      status: { observedGeneration: 1, conditions: [{ type: 'Ready', status: 'True' }] },
    });
    return {
      ...service,
      metadata: { ...service.metadata, generation, resourceVersion: `v${generation}`, uid: name },
      status: { ...service.status, observedGeneration: generation, conditions, latestCreatedRevisionName: revision, latestReadyRevisionName: revision, traffic: [{ revisionName: revision, percent: 100, latestRevision: true }] },
    };
  };
  const functionOperation = (params: Record<string, string>, name: string) =>
    done(`projects/${params.p}/locations/${params.r}/operations/${opId()}`, { '@type': 'type.googleapis.com/google.cloud.functions.v2.Function', ...state.resources.get(name) }, {
      '@type': 'type.googleapis.com/google.cloud.functions.v2.OperationMetadata',
      target: name,
      verb: 'create',
      createTime: now(),
      endTime: now(),
    });

  /** Cloud SQL answers a change with its own kind of operation, over at once; a refused change is answered as is. */
  const sqlOperation = (project: string, operationType: string, targetId: string, reply: Reply): Reply => {
    if (reply.status) return reply;
    const name = opId();
    const sqlOp = { kind: 'sql#operation', name, status: 'DONE', operationType, targetId, targetProject: project, insertTime: now(), endTime: now(), selfLink: `${url}/sql/v1beta4/projects/${project}/operations/${name}` };
    operationsDone.set(`projects/${project}/operations/${name}`, sqlOp);
    return { body: sqlOp, created: reply.created };
  };
  const inInstance = (params: Record<string, string>, child: string, resource: Json): Reply => {
    const instance = `projects/${params.p}/instances/${params.i}`;
    return state.resources.has(instance) ? create(`${instance}/${child}`, { ...resource, instance: params.i, project: params.p }, (r) => ({ ...r, name: resource.name })) : notFound(instance);
  };
  /** Cloud Storage speaks IAM in its own JSON shape. */
  const storagePolicy = (bucket: string, reply: Reply): Reply =>
    reply.status ? reply : { body: { kind: 'storage#policy', resourceId: `projects/_/buckets/${bucket}`, ...(reply.body as Json) } };

  const apis: Record<string, Route[]> = {
    pubsub: [
      route('PUT', '/v1/projects/{p}/topics/{t}', ({ params }) => create(`projects/${params.p}/topics/${params.t}`, {})),
      route('GET', '/v1/projects/{p}/topics/{t}', ({ params }) => get(`projects/${params.p}/topics/${params.t}`)),
      ...iam('/v1/projects/{p}/topics/{t}', ({ p, t }) => `projects/${p}/topics/${t}`),
      route('PUT', '/v1/projects/{p}/subscriptions/{s}', ({ params, body }) =>
        state.resources.has(body.topic) ? create(`projects/${params.p}/subscriptions/${params.s}`, body) : notFound(body.topic),
      ),
      route('GET', '/v1/projects/{p}/subscriptions/{s}', ({ params }) => get(`projects/${params.p}/subscriptions/${params.s}`)),
      route('PATCH', '/v1/projects/{p}/subscriptions/{s}', ({ params, body }) => patchMasked(`projects/${params.p}/subscriptions/${params.s}`, body.subscription, body.updateMask)),
      ...iam('/v1/projects/{p}/subscriptions/{s}', ({ p, s }) => `projects/${p}/subscriptions/${s}`),
    ],
    cloudfunctions: [
      route('GET', '/v2/projects/{p}/locations/{r}/runtimes', () => ({ body: { runtimes: [{ name: 'nodejs20', displayName: 'Node.js 20', stage: 'GA', environment: 'GEN_2' }] } })),
      route('POST', '/v2/projects/{p}/locations/{r}/functions:generateUploadUrl', ({ params }) => {
        const object = `${params.p}-${params.r}-${++uploads}.zip`;
        return { body: { uploadUrl: `${url}/upload/${object}`, storageSource: { bucket: `gcf-v2-uploads-${projectNumber}.${params.r}.cloudfunctions.appspot.com`, object } } };
      }),
      route('POST', '/v2/projects/{p}/locations/{r}/functions', ({ params, query, body }) => {
        const name = `projects/${params.p}/locations/${params.r}/functions/${query.get('functionId')}`;
        const reply = create(name, deployed(name, body));
        if (reply.created) ensureService(name);
        return reply.created ? { ...functionOperation(params, name), created: name } : reply;
      }),
      route('GET', '/v2/projects/{p}/locations/{r}/functions/{f}', ({ params }) => get(`projects/${params.p}/locations/${params.r}/functions/${params.f}`)),
      route('PATCH', '/v2/projects/{p}/locations/{r}/functions/{f}', ({ params, query, body }) => {
        const name = `projects/${params.p}/locations/${params.r}/functions/${params.f}`;
        const reply = patchMasked(name, body, query.get('updateMask'));
        return reply.status ? reply : functionOperation(params, name);
      }),
      route('GET', '/v2/projects/{p}/locations/{r}/operations/{op}', ({ params }) => operation(`projects/${params.p}/locations/${params.r}/operations/${params.op}`)),
    ],
    run: [
      route('GET', '/apis/serving.knative.dev/v1/namespaces/{p}/services/{s}', ({ params, host }) => get(`projects/${params.p}/locations/${regionOf(host)}/services/${params.s}`)),
      route('GET', '/apis/serving.knative.dev/v1/namespaces/{n}/revisions/{rev}', ({ params, host }) => get(`projects/${projectOf(params.n!)}/locations/${regionOf(host)}/revisions/${params.rev}`)),
      route('PUT', '/apis/serving.knative.dev/v1/namespaces/{p}/services/{s}', ({ params, host, body }) => {
        const name = `projects/${params.p}/locations/${regionOf(host)}/services/${params.s}`;
        const found = state.resources.get(name);
        if (!found) return notFound(name);
        const next = knative(name, { ...body, metadata: { ...body.metadata, generation: found.metadata.generation }, status: found.status });
        state.resources.set(name, next);
        return { body: next };
      }),
      route('GET', '/v1/projects/{p}/locations/{r}/services/{s}', ({ params }) => get(`projects/${params.p}/locations/${params.r}/services/${params.s}`)),
      ...iam('/v1/projects/{p}/locations/{r}/services/{s}', ({ p, r, s }) => `projects/${p}/locations/${r}/services/${s}`),
    ],
    sql: [
      route('POST', '/sql/v1beta4/projects/{p}/instances', ({ params, body }) =>
        sqlOperation(params.p!, 'CREATE', body.name, create(`projects/${params.p}/instances/${body.name}`, { ...body, kind: 'sql#instance', state: 'RUNNABLE', connectionName: `${params.p}:${body.region}:${body.name}` })),
      ),
      route('GET', '/sql/v1beta4/projects/{p}/instances/{i}', ({ params }) => get(`projects/${params.p}/instances/${params.i}`)),
      route('POST', '/sql/v1beta4/projects/{p}/instances/{i}/databases', ({ params, body }) =>
        sqlOperation(params.p!, 'CREATE_DATABASE', params.i!, inInstance(params, `databases/${body.name}`, { ...body, kind: 'sql#database' })),
      ),
      route('GET', '/sql/v1beta4/projects/{p}/instances/{i}/databases/{d}', ({ params }) => get(`projects/${params.p}/instances/${params.i}/databases/${params.d}`)),
      route('POST', '/sql/v1beta4/projects/{p}/instances/{i}/users', ({ params, body }) =>
        sqlOperation(params.p!, 'CREATE_USER', params.i!, inInstance(params, `users/${body.name}`, { ...body, kind: 'sql#user' })),
      ),
      route('GET', '/sql/v1beta4/projects/{p}/operations/{op}', ({ params }) => operation(`projects/${params.p}/operations/${params.op}`)),
    ],
    storage: [
      route('POST', '/storage/v1/b', ({ body }) =>
        create(`buckets/${body.name}`, { ...body, kind: 'storage#bucket', id: body.name, location: String(body.location).toUpperCase(), timeCreated: now() }, (b) => ({ ...b, name: body.name })),
      ),
      route('GET', '/storage/v1/b/{b}', ({ params }) => get(`buckets/${params.b}`)),
      route('GET', '/storage/v1/b/{b}/iam', ({ params }) => storagePolicy(params.b!, getPolicy(`buckets/${params.b}`))),
      route('PUT', '/storage/v1/b/{b}/iam', ({ params, body }) => storagePolicy(params.b!, setPolicy(`buckets/${params.b}`, body))),
    ],
    firestore: [
      route('POST', '/v1/projects/{p}/databases', ({ params, query, body }) => {
        const name = `projects/${params.p}/databases/${query.get('databaseId')}`;
        const reply = create(name, { ...body, uid: name, createTime: now() });
        return reply.created
          ? {
              ...done(`${name}/operations/${opId()}`, { '@type': 'type.googleapis.com/google.firestore.admin.v1.Database', ...state.resources.get(name) }, { '@type': 'type.googleapis.com/google.firestore.admin.v1.CreateDatabaseMetadata' }),
              created: name,
            }
          : reply;
      }),
      route('GET', '/v1/projects/{p}/databases/{d}', ({ params }) => get(`projects/${params.p}/databases/${params.d}`)),
      route('GET', '/v1/projects/{p}/databases/{d}/operations/{op}', ({ params }) => operation(`projects/${params.p}/databases/${params.d}/operations/${params.op}`)),
    ],
    cloudscheduler: [
      route('POST', '/v1/projects/{p}/locations/{r}/jobs', ({ body }) => create(body.name, { ...body, state: 'ENABLED', userUpdateTime: now() })),
      route('GET', '/v1/projects/{p}/locations/{r}/jobs/{j}', ({ params }) => get(`projects/${params.p}/locations/${params.r}/jobs/${params.j}`)),
      route('PATCH', '/v1/projects/{p}/locations/{r}/jobs/{j}', ({ params, query, body }) => patchMasked(`projects/${params.p}/locations/${params.r}/jobs/${params.j}`, body, query.get('updateMask'))),
    ],
    cloudresourcemanager: [
      route('GET', '/v1/projects/{p}', ({ params }) => ({ body: { projectId: params.p, projectNumber, name: params.p, lifecycleState: 'ACTIVE' } })),
      ...iam('/v1/projects/{p}', ({ p }) => `projects/${p}`),
    ],
    iam: [
      route('POST', '/v1/projects/{p}/serviceAccounts', ({ params, body }) => {
        const email = `${body.accountId}@${params.p}.iam.gserviceaccount.com`;
        return create(`projects/${params.p}/serviceAccounts/${email}`, { ...body.serviceAccount, email, projectId: params.p, uniqueId: String(state.resources.size) });
      }),
      route('GET', '/v1/projects/{p}/serviceAccounts/{email}', ({ params }) => get(`projects/${params.p}/serviceAccounts/${params.email}`)),
    ],
    secretmanager: [
      route('POST', '/v1/projects/{p}/secrets', ({ params, query, body }) => create(`projects/${params.p}/secrets/${query.get('secretId')}`, { ...body, createTime: now() })),
      route('GET', '/v1/projects/{p}/secrets/{s}', ({ params }) => get(`projects/${params.p}/secrets/${params.s}`)),
      ...iam('/v1/projects/{p}/secrets/{s}', ({ p, s }) => `projects/${p}/secrets/${s}`),
    ],
    serviceusage: [
      route('POST', '/v1/projects/{p}/services:batchEnable', ({ params, body }) => {
        for (const id of body.serviceIds as string[]) state.resources.set(`projects/${projectNumber}/services/${id}`, { name: `projects/${projectNumber}/services/${id}`, state: 'ENABLED', parent: `projects/${projectNumber}` });
        void params;
        return done(`operations/${opId()}`, { '@type': 'type.googleapis.com/google.api.serviceusage.v1.BatchEnableServicesResponse', services: [] });
      }),
      route('GET', '/v1/projects/{p}/services/{id}', ({ params }) => ({ body: { name: `projects/${projectNumber}/services/${params.id}`, state: 'ENABLED', parent: `projects/${projectNumber}` } })),
      route('GET', '/v1/operations/{op}', ({ params }) => operation(`operations/${params.op}`)),
    ],
  };

  const routeFor = (method: string, path: string) => {
    for (const [api, routes] of Object.entries(apis)) {
      for (const r of routes) {
        const match = r.method === method ? r.pattern.exec(path) : null;
        if (match) return { api, handle: r.handle, params: Object.fromEntries(Object.entries(match.groups ?? {}).map(([k, v]) => [k, decodeURIComponent(v)])) };
      }
    }
    return null;
  };

  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    // Proxied requests carry an absolute URI whose host Node's URL parser may refuse (`europe-west1-127.0.0.1:PORT`).
    const absolute = /^https?:\/\/([^/]+)(\/.*)?$/.exec(req.url ?? '/');
    const host = absolute ? absolute[1]! : (req.headers.host ?? '');
    const target = absolute ? (absolute[2] ?? '/') : (req.url ?? '/');
    const [path = '/', search = ''] = target.split('?', 2);
    const query = new URLSearchParams(search);
    const upload = req.method === 'PUT' && path.startsWith('/upload/');
    let body: Json | null = null;
    if (!upload && raw.length) {
      try {
        body = JSON.parse(raw.toString()) as Json;
      } catch {
        body = null;
      }
    }
    const found = upload ? null : routeFor(req.method ?? 'GET', path);
    const reply: Reply = upload
      ? { body: {} }
      : found
        ? found.handle({ method: req.method ?? 'GET', host, params: found.params, query, body: body ?? {} })
        : error(400, 'INVALID_ARGUMENT', `gcloud recorder: no route for ${req.method} ${path}`);
    const status = reply.status ?? 200;
    requests.push({
      api: upload ? 'upload' : (found?.api ?? 'unknown'),
      method: req.method ?? 'GET',
      host,
      path,
      query: Object.fromEntries(query),
      body: upload ? null : body,
      size: raw.length,
      status,
      created: reply.created ?? null,
    });
    res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(reply.body ?? {}));
  });
  // An API without an override would tunnel to the real Google host: refuse it, and record that it was tried.
  server.on('connect', (req: http.IncomingMessage, socket: import('node:net').Socket) => {
    requests.push({ api: 'unknown', method: 'CONNECT', host: req.url ?? '', path: '', query: {}, body: null, size: 0, status: 403, created: null });
    socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
  });
  const served = await serveOnLoopback(server, 0);
  url = served.url;
  const port = url.split(':').at(-1)!;

  const config = mkdtempSync(join(tmpdir(), 'gcloud-recorder-'));
  const tokenFile = join(config, 'access-token');
  writeFileSync(tokenFile, 'recorded-token');
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: config,
    CLOUDSDK_CONFIG: config,
    CLOUDSDK_CORE_PROJECT: project,
    CLOUDSDK_AUTH_ACCESS_TOKEN_FILE: tokenFile,
    CLOUDSDK_CORE_DISABLE_PROMPTS: '1',
    CLOUDSDK_CORE_DISABLE_USAGE_REPORTING: 'true',
    CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK: 'true',
    CLOUDSDK_PROXY_TYPE: 'http',
    CLOUDSDK_PROXY_ADDRESS: '127.0.0.1',
    CLOUDSDK_PROXY_PORT: port,
    ...Object.fromEntries(recordedApis.map((api) => [`CLOUDSDK_API_ENDPOINT_OVERRIDES_${api.toUpperCase()}`, `${url}/`])),
  };
  void projectNumber;
  void opId;
  void patch;
  void getPolicy;
  void setPolicy;

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
