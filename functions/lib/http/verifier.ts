import { config } from '../config.ts';
import { createTokenVerifier, type VerifyToken } from './auth.ts';

let instance: VerifyToken | undefined;

/** The process-wide token verifier, configured from AUTH_ISSUER, AUTH_AUDIENCE and AUTH_JWKS_URL. */
export const verifyToken: VerifyToken = (authorization) => {
  const cfg = config();
  instance ??= createTokenVerifier({ issuer: cfg.AUTH_ISSUER, audience: cfg.AUTH_AUDIENCE, jwksUrl: cfg.AUTH_JWKS_URL });
  return instance(authorization);
};
