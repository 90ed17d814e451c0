import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';

/** The local development issuer's key pair, kept in one file so tokens outlive a restart of the stack. */
export interface DevIssuerKey {
  kid: string;
  privateJwk: JWK;
  publicJwk: JWK;
}

/** Loads the issuer key from `file`, creating it on first use. */
export async function loadOrCreateIssuerKey(file: string): Promise<DevIssuerKey> {
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as DevIssuerKey;
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const kid = `dev-${Date.now().toString(36)}`;
  const key: DevIssuerKey = {
    kid,
    privateJwk: { ...(await exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' },
    publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' },
  };
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(key), { mode: 0o600 });
  return key;
}

/** The issuer's public keys as a JWK set, as Identity Platform publishes its own. */
export const jwks = (key: DevIssuerKey) => ({ keys: [key.publicJwk] });

/** Signs an ID token shaped like Identity Platform's (RS256, iss, aud, sub, iat, exp, optional role claim). */
export async function signIdToken(
  key: DevIssuerKey,
  claims: { sub: string; role?: string; issuer: string; audience: string; expiresIn?: string; email?: string },
): Promise<string> {
  const privateKey = await importJWK(key.privateJwk, 'RS256');
  return new SignJWT({ ...(claims.role ? { role: claims.role } : {}), ...(claims.email ? { email: claims.email } : {}) })
    .setProtectedHeader({ alg: 'RS256', kid: key.kid, typ: 'JWT' })
    .setIssuer(claims.issuer)
    .setAudience(claims.audience)
    .setSubject(claims.sub)
    .setIssuedAt()
    .setExpirationTime(claims.expiresIn ?? '1h')
    .sign(privateKey);
}
