import { randomUUID } from 'node:crypto';
import type { Request, Response } from '@google-cloud/functions-framework';
import { trace } from '@opentelemetry/api';
import type { z } from 'zod';
import { IdempotencyKey, operations, pathPattern, problem, type OperationId } from '../../../schemas/index.ts';
import type { Logger } from '../logger.ts';
import { isDependencyOutage } from '../resilience.ts';
import type { Caller, VerifyToken } from './auth.ts';
import { fingerprintOf, type IdempotencyStore } from './idempotency.ts';
import type { RateLimits } from './limits.ts';
import { HttpProblem, sendProblem, validationProblem } from './problem.ts';
import { applySecurityHeaders, corsPolicy, type CorsPolicy } from './headers.ts';

/** What a route handler answers: a status, a JSON body and headers. */
export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

type Spec<I extends OperationId> = (typeof operations)[I];
type Output<S> = S extends z.ZodType ? z.output<S> : never;

/** What a route handler gets: its inputs, already checked against the operation's schemas, and who is calling. */
export interface RouteContext<I extends OperationId> {
  req: Request;
  params: Spec<I> extends { params: infer P } ? Output<P> : Record<string, never>;
  query: Spec<I> extends { query: infer Q } ? Output<Q> : Record<string, never>;
  body: Spec<I> extends { body: { kind: 'json'; schema: infer S } } ? Output<S> : Spec<I> extends { body: { kind: 'image' } } ? Buffer : undefined;
  caller: Spec<I>['access'] extends 'public' ? Caller | null : Caller;
  now: Date;
  log: Logger;
  /** The request's Idempotency-Key on operations that honour one, else null. */
  idempotencyKey: string | null;
}

/** A handler bound to an operation of the table (schemas/operations.ts), which says its path, access and inputs. */
export type Route = { [I in OperationId]: { operation: I; handle: (ctx: RouteContext<I>) => Promise<Reply> } }[OperationId];

/** Binds a handler to an operation. */
export const route = <I extends OperationId>(operation: I, handle: (ctx: RouteContext<I>) => Promise<Reply>): Route => ({ operation, handle }) as Route;

/** How keyed requests are kept. */
export interface IdempotencyOptions {
  store: () => IdempotencyStore;
  ttlMs: number;
  /** How long a keyed request may run before a retry may take it over. */
  leaseMs: number;
}

/** Seconds a client should wait before retrying when a dependency is down. */
const RETRY_AFTER_SECONDS = '5';
/** Largest body an operation that takes none accepts (an empty JSON object, as some clients send). */
const NO_BODY_MAX_BYTES = 64;

/** A request the front door let in: its operation, path parameters and caller. */
interface Admitted {
  route: Route;
  params: string[];
  caller: Caller | null;
  log: Logger;
}

/** The HTTP API of one function: the front door (before the body is read) and the handler (after). */
export interface HttpApi {
  /**
   * Everything decided before the body is read: request id, security and CORS headers, the route, the body's
   * length and type, the caller, the rate limits. Answers and resolves false when the request goes no further.
   */
  admit(req: Request, res: Response): Promise<boolean>;
  /** Runs an admitted request (admitting it first if the front door was not installed). */
  handle(req: Request, res: Response): Promise<void>;
  /** Answers an error the framework met before the handler ran (malformed JSON, an unreadable body). */
  frameworkError(req: Request, res: Response, err: unknown): void;
}

/**
 * Serves a function's operations: routes a request, authenticates and limits it before its body is read, checks its
 * inputs against the operation's schemas, honours Idempotency-Key, runs the handler, and turns every failure into
 * problem+json: a dependency that is down or slow becomes `503` with `Retry-After`, never a 500 or a hang.
 */
export function httpApi(options: {
  routes: Route[];
  verify: VerifyToken;
  log: () => Logger;
  clock?: () => Date;
  idempotency?: IdempotencyOptions;
  limits?: () => RateLimits;
  cors?: CorsPolicy;
  /** Where the client's address is: 0 = the connection's peer; k = the k-th X-Forwarded-For entry from the right. */
  clientIpFromRight?: number;
}): HttpApi {
  const table = options.routes.map((r) => ({ route: r, spec: operations[r.operation], pattern: pathPattern(operations[r.operation].path) }));
  const admitted = new WeakMap<Request, Admitted>();
  const cors = options.cors ?? corsPolicy('');

  async function admit(req: Request, res: Response): Promise<boolean> {
    const requestId = requestIdOf(req.get('x-request-id'));
    const log = options.log().child({ requestId });
    res.set('X-Request-Id', requestId);
    applySecurityHeaders(res);
    try {
      if (cors.apply(req, res)) return false;
      const matching = table.map((t) => ({ ...t, match: t.pattern.exec(req.path) })).filter((t) => t.match !== null);
      if (matching.length === 0) throw HttpProblem.of('not-found', `no resource at ${req.path}`);
      const found = matching.find((t) => t.spec.method === req.method) ?? (req.method === 'HEAD' ? matching.find((t) => t.spec.method === 'GET') : undefined);
      if (!found) {
        const allow = [...new Set(matching.map((t) => t.spec.method))].join(', ');
        throw HttpProblem.of('method-not-allowed', `use ${allow}`, {}, { Allow: allow });
      }
      trace.getActiveSpan()?.updateName(`${found.spec.method} ${found.spec.path}`).setAttribute('http.route', found.spec.path);
      checkBodyHeaders(req, found.spec);
      const caller = await options.verify(req.get('authorization')).catch((err: unknown) => {
        log.error({ err }, 'token verification failed: the issuer keys could not be read');
        throw HttpProblem.of('service-unavailable', 'cannot verify tokens right now; retry shortly', {}, { 'Retry-After': RETRY_AFTER_SECONDS });
      });
      if (req.get('authorization') !== undefined && caller === null) throw unauthenticated();
      if (found.spec.access !== 'public' && !caller) throw unauthenticated();
      if (found.spec.access === 'admin' && !caller!.admin) throw HttpProblem.of('forbidden', 'this needs the admin role');
      await options.limits?.().consume({ limit: found.spec.limit, caller: caller?.sub ?? null, ip: clientIp(req, options.clientIpFromRight ?? 0), res });
      admitted.set(req, { route: found.route, params: found.match!.slice(1), caller, log: caller ? log.child({ caller: caller.sub }) : log });
      return true;
    } catch (err) {
      answerProblem(req, res, err, log);
      return false;
    }
  }

  async function handle(req: Request, res: Response): Promise<void> {
    if (!admitted.has(req) && !(await admit(req, res))) return;
    const { route: found, params, caller, log } = admitted.get(req)!;
    try {
      const reply = await run(req, found, params, caller, log, options);
      res.status(reply.status).set(reply.headers ?? {});
      if (reply.body === undefined || reply.status === 304 || reply.status === 204) res.end();
      else res.type(reply.headers?.['Content-Type'] ?? 'application/json').send(JSON.stringify(reply.body));
    } catch (err) {
      answerProblem(req, res, err, log);
    }
  }

  const frameworkError = (req: Request, res: Response, err: unknown) => answerFrameworkError(req, res, err, admitted.get(req)?.log ?? options.log());

  return { admit, handle, frameworkError };
}

/**
 * Answers, as problem+json, what the functions framework met before a handler ran: a body that is not JSON, one that
 * is too large or in an encoding it cannot read; no error at all means no route took the request.
 */
export function answerFrameworkError(req: Request, res: Response, err: unknown, log: Logger): void {
  if (res.headersSent) return;
  // body-parser names its failures by `type`; Express's router (a path it cannot decode) by `status`.
  const { type, status } = (err ?? {}) as { type?: string; status?: number };
  if (type === 'request.aborted') return void log.info({ path: req.path }, 'the client went away while sending the body');
  const slug =
    err === undefined ? 'not-found'
    : type === 'entity.too.large' || status === 413 ? 'payload-too-large'
    : type === 'encoding.unsupported' || type === 'charset.unsupported' || status === 415 ? 'unsupported-media-type'
    : type === 'entity.parse.failed' || status === 400 ? 'malformed-request'
    : null;
  const failure = slug
    ? HttpProblem.of(slug, {
        'not-found': `no resource at ${req.path}`,
        'malformed-request': type === 'entity.parse.failed' ? 'the body is not valid JSON; send a JSON document with Content-Type: application/json' : 'the request could not be read (a malformed URL or body)',
        'payload-too-large': 'the body is larger than this operation takes',
        'unsupported-media-type': 'send the body as UTF-8 without a Content-Encoding',
      }[slug])
    : err;
  answerProblem(req, res, failure, log);
}

/** Answers a failure as problem+json, unless an answer is already on its way. */
function answerProblem(req: Request, res: Response, err: unknown, log: Logger): void {
  if (res.headersSent) return;
  const { problem: body, headers } = toProblem(err, req, log);
  sendProblem(res, body, headers);
}

/**
 * The client's address for per-IP limits. Proxies append to X-Forwarded-For, so only entries counted from the right,
 * as many as there are proxies of ours, can be trusted; the framework's `req.ip` takes the leftmost, which any client
 * can write.
 */
export function clientIp(req: Request, fromRight: number): string {
  const peer = req.socket?.remoteAddress ?? 'unknown';
  if (fromRight === 0) return peer;
  const forwarded = (req.get('x-forwarded-for') ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  return forwarded[forwarded.length - fromRight] ?? peer;
}

/** The request's id: the client's when it is a sensible token, else a new one. */
const requestIdOf = (sent: string | undefined) => (sent && /^[A-Za-z0-9._:-]{1,128}$/.test(sent) ? sent : randomUUID());

/** Checks what the headers say about the body, before a byte of it is read: its length and its type. */
function checkBodyHeaders(req: Request, spec: (typeof operations)[OperationId]): void {
  const chunked = req.get('transfer-encoding') !== undefined;
  const length = Number(req.get('content-length') ?? 0);
  const body = 'body' in spec ? spec.body : undefined;
  const max = body?.maxBytes ?? NO_BODY_MAX_BYTES;
  if (chunked) throw HttpProblem.of('length-required', 'send the body with a Content-Length header (chunked bodies are not taken)');
  if (!Number.isSafeInteger(length) || length < 0) throw HttpProblem.of('malformed-request', 'Content-Length is not a number of bytes');
  if (length > max) throw HttpProblem.of('payload-too-large', body ? `this operation takes at most ${max} bytes; this body has ${length}` : `this operation takes no body; this one has ${length} bytes`);
  if (length === 0 || !body) return;
  if (body.kind === 'json' && !req.is(['application/json', 'application/merge-patch+json'])) {
    throw HttpProblem.of('unsupported-media-type', `send the body as JSON with Content-Type: ${body.mediaType}`);
  }
  if (body.kind === 'image' && req.is(['json', '+json', 'text/*', 'urlencoded', 'multipart/*'])) {
    throw HttpProblem.of('unsupported-media-type', 'send the image bytes themselves, with Content-Type: image/jpeg, image/png, image/webp or application/octet-stream');
  }
  if (req.get('content-encoding') !== undefined && req.get('content-encoding') !== 'identity') {
    throw HttpProblem.of('unsupported-media-type', 'send the body without a Content-Encoding');
  }
}

/** Checks an admitted request's inputs against its operation and runs it (once per Idempotency-Key). */
async function run(
  req: Request,
  found: Route,
  rawParams: string[],
  caller: Caller | null,
  log: Logger,
  options: { clock?: () => Date; idempotency?: IdempotencyOptions },
): Promise<Reply> {
  const spec = operations[found.operation];
  const params = parseParams(req, spec, rawParams);
  const query = 'query' in spec ? spec.query.safeParse(req.query) : { success: true as const, data: {} };
  if (!query.success) throw validationProblem(query.error, 'query');
  const body = parseBody(req, spec);
  const now = options.clock?.() ?? new Date();
  const header = 'idempotent' in spec ? req.get('idempotency-key') : undefined;
  const handle = found.handle as (ctx: RouteContext<OperationId>) => Promise<Reply>;
  const context = { req, params, query: query.data, body, caller, now, log } as Omit<RouteContext<OperationId>, 'idempotencyKey'>;
  if (header === undefined || !caller || !options.idempotency) return handle({ ...context, idempotencyKey: null });
  const key = IdempotencyKey.safeParse(header);
  if (!key.success) {
    throw HttpProblem.of('validation-error', `header Idempotency-Key: ${key.error.issues[0]?.message}`, {
      errors: [{ path: 'header.Idempotency-Key', message: key.error.issues[0]?.message ?? 'invalid' }],
    });
  }
  return keyed(req, { handle: () => handle({ ...context, idempotencyKey: key.data }), scope: caller.sub, now, log, key: key.data, idempotency: options.idempotency });
}

/** Path parameters by name; one that does not fit its schema is a resource that does not exist. */
function parseParams(req: Request, spec: (typeof operations)[OperationId], raw: string[]): Record<string, unknown> {
  if (!('params' in spec)) return {};
  const names = Object.keys(spec.params.shape);
  const values = names.map((name, i) => {
    try {
      return [name, decodeURIComponent(raw[i] ?? '')];
    } catch {
      throw HttpProblem.of('not-found', `no resource at ${req.path}`);
    }
  });
  const parsed = spec.params.safeParse(Object.fromEntries(values));
  if (!parsed.success) throw HttpProblem.of('not-found', `no resource at ${req.path}`);
  return parsed.data;
}

/** The body as the operation takes it: checked JSON, the bytes of an image, or nothing (an empty object at most). */
function parseBody(req: Request, spec: (typeof operations)[OperationId]): unknown {
  const body = 'body' in spec ? spec.body : undefined;
  if (body?.kind === 'image') return Buffer.isBuffer(req.body) ? req.body : (req.rawBody ?? Buffer.alloc(0));
  if (!body) {
    const sent = req.rawBody?.length ? req.body : undefined;
    const empty = sent === undefined || (typeof sent === 'object' && sent !== null && !Array.isArray(sent) && !Buffer.isBuffer(sent) && Object.keys(sent).length === 0);
    if (!empty) {
      const fields = sent && typeof sent === 'object' && !Buffer.isBuffer(sent) ? Object.keys(sent).map((k) => JSON.stringify(k)).join(', ') : 'a value';
      throw HttpProblem.of('validation-error', `this operation takes no body; it got ${fields}`, { errors: [{ path: 'body', message: `must be empty; got ${fields}` }] });
    }
    return undefined;
  }
  const parsed = body.schema.safeParse(req.rawBody?.length ? jsonOf(req) : undefined);
  if (!parsed.success) throw validationProblem(parsed.error, 'body');
  return parsed.data;
}

/**
 * The JSON body. The framework parses `application/json` itself; other JSON types (`application/merge-patch+json`)
 * reach us as bytes.
 */
function jsonOf(req: Request): unknown {
  if (!Buffer.isBuffer(req.body) && typeof req.body !== 'string') return req.body;
  try {
    return JSON.parse((req.rawBody ?? Buffer.from(String(req.body))).toString('utf8'));
  } catch {
    throw HttpProblem.of('malformed-request', 'the body is not valid JSON; send a JSON document');
  }
}

/** Runs a request that carries an Idempotency-Key: once per key, replaying the stored answer afterwards. */
async function keyed(req: Request, ctx: { handle: () => Promise<Reply>; scope: string; now: Date; log: Logger; key: string; idempotency: IdempotencyOptions }): Promise<Reply> {
  const store = ctx.idempotency.store();
  const begun = await store.begin({
    scope: ctx.scope,
    key: ctx.key,
    fingerprint: fingerprintOf({ method: req.method, path: req.path, body: req.body }),
    now: ctx.now,
    leaseMs: ctx.idempotency.leaseMs,
    ttlMs: ctx.idempotency.ttlMs,
  });
  switch (begun.kind) {
    case 'mismatch':
      throw HttpProblem.of('idempotency-key-reused', 'this Idempotency-Key was used with another request; use a new key for a new request');
    case 'in-progress':
      throw HttpProblem.of('idempotency-key-in-use', 'the first request with this Idempotency-Key is still running; retry shortly', {}, { 'Retry-After': '1' });
    case 'replay':
      return { ...begun.response, headers: { ...begun.response.headers, 'Idempotent-Replayed': 'true' } };
    case 'proceed':
      break;
  }
  let reply: Reply;
  try {
    reply = await ctx.handle();
  } catch (err) {
    if (err instanceof HttpProblem && err.problem.status < 500) {
      const response = { status: err.problem.status, headers: { ...err.headers, 'Content-Type': 'application/problem+json' }, body: { ...err.problem, instance: req.path } };
      await store.complete({ scope: ctx.scope, key: ctx.key, response });
    } else {
      await store.abandon({ scope: ctx.scope, key: ctx.key }).catch((abandonErr: unknown) => ctx.log.warn({ err: abandonErr }, 'could not release an Idempotency-Key; it frees itself when its lease ends'));
    }
    throw err;
  }
  await store.complete({ scope: ctx.scope, key: ctx.key, response: { status: reply.status, headers: reply.headers ?? {}, body: reply.body } });
  return reply;
}

/** The problem document and headers an error answers with. */
function toProblem(err: unknown, req: Request, log: Logger): { problem: ReturnType<typeof problem>; headers: Record<string, string> } {
  if (err instanceof HttpProblem) return { problem: { ...err.problem, instance: req.path }, headers: err.headers };
  if (isDependencyOutage(err)) {
    log.error({ err, method: req.method, path: req.path }, 'a dependency is unavailable; answering 503');
    return {
      problem: problem('service-unavailable', { detail: 'a service this request needs is not answering; retry in a few seconds', instance: req.path }),
      headers: { 'Retry-After': RETRY_AFTER_SECONDS },
    };
  }
  log.error({ err, method: req.method, path: req.path }, 'request failed unexpectedly');
  return { problem: problem('internal', { instance: req.path }), headers: {} };
}

const unauthenticated = () =>
  HttpProblem.of(
    'unauthenticated',
    'send Authorization: Bearer <ID token>; locally `npm run token -- --sub <name>` prints one',
    {},
    { 'WWW-Authenticate': 'Bearer' },
  );
