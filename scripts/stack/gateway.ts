import http from 'node:http';
import { functions, functionNames, problem, type FunctionName } from '../../schemas/index.ts';
import { serveOnLoopback } from './process.ts';

/** Which function serves a path: the HTTP functions' route prefixes from the topology table. */
export function routeTable(ports: ReadonlyMap<FunctionName, number>): { prefix: string; port: number; fn: FunctionName }[] {
  return functionNames.flatMap((fn) => {
    const spec = functions[fn];
    if (spec.trigger !== 'http') return [];
    return spec.routes.map((prefix) => ({ prefix, port: ports.get(fn)!, fn }));
  });
}

const sendJson = (res: http.ServerResponse, status: number, body: unknown, type = 'application/json') => {
  res.writeHead(status, { 'Content-Type': type }).end(JSON.stringify(body));
};

/** Forwards a request to a local control server (fault proxies, the payment simulator's faults): local stacks only. */
function forward(req: http.IncomingMessage, res: http.ServerResponse, target: URL): void {
  const upstream = http.request(target, { method: req.method, headers: { 'content-type': req.headers['content-type'] ?? 'application/json' } }, (up) => {
    res.writeHead(up.statusCode ?? 502, { 'Content-Type': up.headers['content-type'] ?? 'application/json' });
    up.pipe(res);
  });
  upstream.on('error', () => !res.headersSent && sendJson(res, 503, { error: `${target.host} is not answering` }));
  req.pipe(upstream);
}

/**
 * The local API base URL, as the load balancer is in production: routes each path to the HTTP function that serves
 * it, serves the development issuer's keys, and lets the saga console reach the local fault switches (/_local/faults,
 * /_local/payment-faults). The functions answer every error as problem+json themselves.
 */
export async function startGateway(options: {
  port: number;
  functionPorts: ReadonlyMap<FunctionName, number>;
  jwks: unknown;
  /** The fault proxies' control server and the payment simulator, for the console's fault switches. */
  local?: { faults: string; payment: string };
}): Promise<{ url: string; close(): Promise<void> }> {
  const routes = routeTable(options.functionPorts);
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (req.method === 'GET' && path === '/dev-issuer/jwks.json') return sendJson(res, 200, options.jwks);
    if (req.method === 'GET' && path === '/healthz') return sendJson(res, 200, { ok: true });
    if (options.local && path.startsWith('/_local/faults')) return forward(req, res, new URL(path.slice('/_local'.length), options.local.faults));
    if (options.local && path === '/_local/payment-faults') return forward(req, res, new URL('/_simulator/faults', options.local.payment));
    const route = routes.find((r) => path === r.prefix || path.startsWith(`${r.prefix}/`));
    if (!route) return sendJson(res, 404, problem('not-found', { detail: `no API at ${path}`, instance: path }), 'application/problem+json');
    const upstream = http.request(
      { host: '127.0.0.1', port: route.port, method: req.method, path: req.url, headers: { ...req.headers, 'x-forwarded-host': req.headers.host ?? '' } },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
        // A function may answer before reading the body (a 413); whatever of it is still coming is read and dropped
        // here, so the client's connection stays usable for its next request.
        up.once('end', () => {
          if (req.complete) return;
          req.unpipe(upstream);
          req.resume();
        });
      },
    );
    upstream.on('error', () => {
      if (!res.headersSent) {
        sendJson(res, 503, problem('service-unavailable', { detail: `${route.fn} is not answering`, instance: path }), 'application/problem+json');
      }
    });
    req.pipe(upstream);
  });
  return serveOnLoopback(server, options.port);
}
