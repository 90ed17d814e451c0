import type { Request, Response } from '@google-cloud/functions-framework';
import { IdempotencyKey, problem } from '../../../schemas/index.ts';
import type { Logger } from '../logger.ts';
import { isDependencyOutage } from '../resilience.ts';
import type { Caller, VerifyToken } from './auth.ts';
import { fingerprintOf, type IdempotencyStore } from './idempotency.ts';
import { HttpProblem, sendProblem } from './problem.ts';

/** What a route handler answers: a status, a JSON body and headers. */
export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** What a route handler gets: the request, path parameters, the authenticated caller (if any) and its Idempotency-Key. */
export interface RouteContext<C extends Caller | null> {
  req: Request;
  params: string[];
  caller: C;
  now: Date;
  log: Logger;
  /** The request's Idempotency-Key on routes that honour one, else null. */
  idempotencyKey: string | null;
}

/** One endpoint: method, path pattern (capture groups become params), and who may call it. */
export type Route = (
  | { auth: 'required' | 'admin'; handle: (ctx: RouteContext<Caller>) => Promise<Reply> }
  | { auth: 'public'; handle: (ctx: RouteContext<Caller | null>) => Promise<Reply> }
) & {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  path: RegExp;
  /** What the body is: JSON (checked here), or bytes the handler checks itself. */
  body?: 'json' | 'binary';
  /** Honours `Idempotency-Key`: a retried request replays the first answer instead of acting twice. */
  idempotent?: true;
};

/** How keyed requests are kept. */
export interface IdempotencyOptions {
  store: () => IdempotencyStore;
  ttlMs: number;
  /** How long a keyed request may run before a retry may take it over. */
  leaseMs: number;
}

/** Seconds a client should wait before retrying when a dependency is down. */
const RETRY_AFTER_SECONDS = '5';

/**
 * Routes a request, authenticates it, honours Idempotency-Key, runs the handler and turns every failure into
 * problem+json: a dependency that is down or slow becomes `503` with `Retry-After`, never a 500 or a hang.
 */
export function httpApi(options: { routes: Route[]; verify: VerifyToken; log: () => Logger; clock?: () => Date; idempotency?: IdempotencyOptions }) {
  return async (req: Request, res: Response): Promise<void> => {
    const log = options.log();
    try {
      const reply = await dispatch(req, options, log);
      res.status(reply.status).set(reply.headers ?? {});
      if (reply.body === undefined) res.end();
      else res.type(reply.headers?.['Content-Type'] ?? 'application/json').send(JSON.stringify(reply.body));
    } catch (err) {
      const { problem: body, headers } = toProblem(err, req, log);
      sendProblem(res, body, headers);
    }
  };
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

async function dispatch(
  req: Request,
  options: { routes: Route[]; verify: VerifyToken; clock?: () => Date; idempotency?: IdempotencyOptions },
  log: Logger,
): Promise<Reply> {
  const matching = options.routes
    .map((route) => ({ route, match: route.path.exec(req.path) }))
    .filter((m) => m.match !== null);
  if (matching.length === 0) throw HttpProblem.of('not-found', `no resource at ${req.path}`);
  const found = matching.find((m) => m.route.method === req.method);
  if (!found) {
    const allow = [...new Set(matching.map((m) => m.route.method))].join(', ');
    throw HttpProblem.of('method-not-allowed', `use ${allow}`, {}, { Allow: allow });
  }
  const caller = await options.verify(req.get('authorization')).catch((err: unknown) => {
    log.error({ err }, 'token verification failed: the issuer keys could not be read');
    throw HttpProblem.of('service-unavailable', 'cannot verify tokens right now; retry shortly', {}, { 'Retry-After': RETRY_AFTER_SECONDS });
  });
  if (req.get('authorization') !== undefined && caller === null) throw unauthenticated();
  // A POST with no body at all (an action such as replay or retry) needs no content type.
  const hasBody = Number(req.get('content-length') ?? 0) > 0 || req.get('transfer-encoding') !== undefined;
  const sendsBody = ['POST', 'PATCH', 'PUT'].includes(req.method) && found.route.body !== 'binary' && hasBody;
  if (sendsBody && !req.is(['application/json', 'application/merge-patch+json'])) {
    throw HttpProblem.of('unsupported-media-type', 'send the body as JSON with Content-Type: application/json');
  }
  const params = found.match!.slice(1).map((p) => {
    try {
      return decodeURIComponent(p ?? '');
    } catch {
      throw HttpProblem.of('not-found', `no resource at ${req.path}`);
    }
  });
  const now = options.clock?.() ?? new Date();
  const { route } = found;
  if (route.auth === 'public') return route.handle({ req, params, caller, now, log, idempotencyKey: null });
  if (!caller) throw unauthenticated();
  if (route.auth === 'admin' && !caller.admin) throw HttpProblem.of('forbidden', 'this needs the admin role');
  const header = req.get('idempotency-key');
  if (!route.idempotent || header === undefined || !options.idempotency) {
    return route.handle({ req, params, caller, now, log, idempotencyKey: null });
  }
  const key = IdempotencyKey.safeParse(header);
  if (!key.success) {
    throw HttpProblem.of('validation-error', `header Idempotency-Key: ${key.error.issues[0]?.message}`, {
      errors: [{ path: 'header.Idempotency-Key', message: key.error.issues[0]?.message ?? 'invalid' }],
    });
  }
  return keyed(req, { route, caller, params, now, log, key: key.data, idempotency: options.idempotency });
}

/** Runs a request that carries an Idempotency-Key: once per key, replaying the stored answer afterwards. */
async function keyed(
  req: Request,
  ctx: { route: Route; caller: Caller; params: string[]; now: Date; log: Logger; key: string; idempotency: IdempotencyOptions },
): Promise<Reply> {
  const store = ctx.idempotency.store();
  const scope = ctx.caller.sub;
  const begun = await store.begin({
    scope,
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
    reply = await (ctx.route.handle as (c: RouteContext<Caller>) => Promise<Reply>)({ req, params: ctx.params, caller: ctx.caller, now: ctx.now, log: ctx.log, idempotencyKey: ctx.key });
  } catch (err) {
    if (err instanceof HttpProblem && err.problem.status < 500) {
      const response = { status: err.problem.status, headers: { ...err.headers, 'Content-Type': 'application/problem+json' }, body: { ...err.problem, instance: req.path } };
      await store.complete({ scope, key: ctx.key, response });
    } else {
      await store.abandon({ scope, key: ctx.key }).catch((abandonErr: unknown) => ctx.log.warn({ err: abandonErr }, 'could not release an Idempotency-Key; it frees itself when its lease ends'));
    }
    throw err;
  }
  await store.complete({ scope, key: ctx.key, response: { status: reply.status, headers: reply.headers ?? {}, body: reply.body } });
  return reply;
}

const unauthenticated = () =>
  HttpProblem.of(
    'unauthenticated',
    'send Authorization: Bearer <ID token>; locally `npm run token -- --sub <name>` prints one',
    {},
    { 'WWW-Authenticate': 'Bearer' },
  );
