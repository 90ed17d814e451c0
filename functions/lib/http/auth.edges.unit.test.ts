import { createLocalJWKSet, errors, exportJWK, generateKeyPair, SignJWT, type JWTVerifyGetKey } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTokenVerifier } from './auth.ts';

const issuer = 'https://securetoken.google.com/test-project';
const audience = 'test-project';
const jwksUrl = 'http://unused.invalid/';
let token: string;
let localKeys: JWTVerifyGetKey;

beforeAll(async () => {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  localKeys = createLocalJWKSet({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256' }] });
  token = await new SignJWT({}).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setIssuer(issuer).setAudience(audience).setSubject('alice').setIssuedAt().setExpirationTime('1h').sign(privateKey);
});

const failingKeys = (error: Error): JWTVerifyGetKey => async () => {
  throw error;
};

describe('createTokenVerifier when the issuer’s keys misbehave', () => {
  it('when the key set has no key for the token’s kid, then there is no caller', async () => {
    const verify = createTokenVerifier({ issuer, audience, jwksUrl, keys: failingKeys(new errors.JWKSNoMatchingKey()) });
    expect(await verify(`Bearer ${token}`)).toBeNull();
  });

  it('when the key set times out or answers non-200, then verification rejects instead of calling the token invalid', async () => {
    const timedOut = createTokenVerifier({ issuer, audience, jwksUrl, keys: failingKeys(new errors.JWKSTimeout()) });
    await expect(timedOut(`Bearer ${token}`)).rejects.toThrow();
    const non200 = createTokenVerifier({ issuer, audience, jwksUrl, keys: failingKeys(new errors.JOSEError('Expected 200 OK from the JSON Web Key Set HTTP response')) });
    await expect(non200(`Bearer ${token}`)).rejects.toThrow();
  });
});

describe('createTokenVerifier and the authorization scheme', () => {
  it('when the scheme is written in lower case, then the token is still accepted (schemes are case-insensitive)', async () => {
    const verify = createTokenVerifier({ issuer, audience, jwksUrl, keys: localKeys });
    expect(await verify(`bearer ${token}`)).toEqual({ sub: 'alice', admin: false });
  });
});
