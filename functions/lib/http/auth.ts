import { createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from 'jose';

/** jose error codes that mean "this token is not acceptable", as opposed to "the key set could not be fetched". */
const tokenErrors = new Set([
  'ERR_JWT_EXPIRED',
  'ERR_JWT_CLAIM_VALIDATION_FAILED',
  'ERR_JWT_INVALID',
  'ERR_JWS_INVALID',
  'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
  'ERR_JOSE_ALG_NOT_ALLOWED',
  'ERR_JOSE_NOT_SUPPORTED',
  'ERR_JWKS_NO_MATCHING_KEY',
  'ERR_JWKS_MULTIPLE_MATCHING_KEYS',
]);

/** Who is calling: the token's subject, and whether it carries the admin role. */
export interface Caller {
  sub: string;
  admin: boolean;
}

/**
 * Verifies a bearer ID token; resolves to the caller, or null when the token is missing or not valid. Rejects when
 * the issuer's keys cannot be read, which is our outage, not a bad token.
 */
export type VerifyToken = (authorization: string | undefined) => Promise<Caller | null>;

/**
 * Creates a verifier for ID tokens as Identity Platform issues them: RS256, checked against the issuer's published
 * keys, with the expected issuer and audience. An admin is a token with the custom claim `role: "admin"`.
 */
export function createTokenVerifier(options: { issuer: string; audience: string; jwksUrl: string; keys?: JWTVerifyGetKey }): VerifyToken {
  const keys = options.keys ?? createRemoteJWKSet(new URL(options.jwksUrl), { cooldownDuration: 30_000 });
  return async (authorization) => {
    const match = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/i.exec(authorization ?? '');
    if (!match?.[1]) return null;
    try {
      const { payload } = await jwtVerify(match[1], keys, {
        issuer: options.issuer,
        audience: options.audience,
        algorithms: ['RS256'],
        requiredClaims: ['sub', 'exp', 'iat'],
      });
      if (!payload.sub) return null;
      return { sub: payload.sub, admin: payload.role === 'admin' };
    } catch (err) {
      if (tokenErrors.has((err as { code?: string }).code ?? '')) return null;
      throw err;
    }
  };
}
