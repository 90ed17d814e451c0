import type { Request, Response } from '@google-cloud/functions-framework';
import cors from 'cors';
import helmet from 'helmet';

const security = helmet();

/** Sets the usual security headers (helmet's defaults: CSP, HSTS, nosniff, frame and referrer policies). */
export function applySecurityHeaders(res: Response): void {
  security(res.req, res, () => undefined);
}

/** Which browser origins may call the API; `apply` answers a preflight and says whether it did. */
export interface CorsPolicy {
  apply(req: Request, res: Response): boolean;
}

/** Request headers a browser may send, and response headers it may read. */
const allowedHeaders = ['Authorization', 'Content-Type', 'Idempotency-Key', 'If-Match', 'If-None-Match', 'X-Request-Id'];
const exposedHeaders = ['ETag', 'Location', 'RateLimit', 'RateLimit-Policy', 'Retry-After', 'X-Request-Id', 'Idempotent-Replayed'];

/**
 * CORS for a comma-separated allow-list of origins (CORS_ALLOWED_ORIGINS); an origin not on it gets no CORS headers,
 * so the browser refuses to show it the answer. Preflights are answered here, before routing or authentication.
 */
export function corsPolicy(allowList: string): CorsPolicy {
  const origins = allowList.split(',').map((o) => o.trim()).filter(Boolean);
  const middleware = cors({
    origin: origins.length ? origins : false,
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders,
    exposedHeaders,
    maxAge: 600,
  });
  return {
    apply(req, res) {
      let passed = false;
      middleware(req, res, () => (passed = true));
      return !passed;
    },
  };
}
