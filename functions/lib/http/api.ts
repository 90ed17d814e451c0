import type { Request, Response } from '@google-cloud/functions-framework';
import { problem } from '../../../schemas/index.ts';
import type { Logger } from '../logger.ts';
import type { Caller, VerifyToken } from './auth.ts';
import { HttpProblem, sendProblem } from './problem.ts';

/** What a route handler answers: a status, a JSON body and headers. */
export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** What a route handler gets: the request, path parameters and the authenticated caller (if any). */
export interface RouteContext<C extends Caller | null> {
  req: Request;
  params: string[];
  caller: C;
  now: Date;
  log: Logger;
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
};

/** Routes a request, authenticates it, runs the handler and turns every failure into problem+json. */
export function httpApi(options: { routes: Route[]; verify: VerifyToken; log: () => Logger; clock?: () => Date }) {
  return async (req: Request, res: Response): Promise<void> => {
    const log = options.log();
    try {
      const reply = await dispatch(req, options, log);
      res.status(reply.status).set(reply.headers ?? {});
      if (reply.body === undefined) res.end();
      else res.type('application/json').send(JSON.stringify(reply.body));
    } catch (err) {
      if (err instanceof HttpProblem) {
        sendProblem(res, { ...err.problem, instance: req.path }, err.headers);
        return;
      }
      log.error({ err, method: req.method, path: req.path }, 'request failed unexpectedly');
      sendProblem(res, problem('internal', { instance: req.path }));
    }
  };
}

async function dispatch(
  req: Request,
  options: { routes: Route[]; verify: VerifyToken; clock?: () => Date },
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
    throw HttpProblem.of('service-unavailable', 'cannot verify tokens right now; retry shortly');
  });
  if (req.get('authorization') !== undefined && caller === null) throw unauthenticated();
  const sendsBody = ['POST', 'PATCH', 'PUT'].includes(req.method) && found.route.body !== 'binary';
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
  if (route.auth === 'public') return route.handle({ req, params, caller, now, log });
  if (!caller) throw unauthenticated();
  if (route.auth === 'admin' && !caller.admin) throw HttpProblem.of('forbidden', 'this needs the admin role');
  return route.handle({ req, params, caller, now, log });
}

const unauthenticated = () =>
  HttpProblem.of(
    'unauthenticated',
    'send Authorization: Bearer <ID token>; locally `npm run token -- --sub <name>` prints one',
    {},
    { 'WWW-Authenticate': 'Bearer' },
  );
