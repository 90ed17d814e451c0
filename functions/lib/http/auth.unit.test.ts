import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTokenVerifier, type VerifyToken } from './auth.ts';

const issuer = 'https://securetoken.google.com/test-project';
const audience = 'test-project';
let sign: (claims: Record<string, unknown>, options?: { issuer?: string; audience?: string; exp?: string }) => Promise<string>;
let verify: VerifyToken;

beforeAll(async () => {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256' };
  verify = createTokenVerifier({ issuer, audience, jwksUrl: 'http://unused.invalid/', keys: createLocalJWKSet({ keys: [jwk] }) });
  sign = (claims, options = {}) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setIssuer(options.issuer ?? issuer)
      .setAudience(options.audience ?? audience)
      .setSubject('alice')
      .setIssuedAt()
      .setExpirationTime(options.exp ?? '1h')
      .sign(privateKey);
});

describe('createTokenVerifier', () => {
  it('when the token is valid, then the caller is its subject, an admin only with role admin', async () => {
    expect(await verify(`Bearer ${await sign({})}`)).toEqual({ sub: 'alice', admin: false });
    expect(await verify(`Bearer ${await sign({ role: 'admin' })}`)).toEqual({ sub: 'alice', admin: true });
  });

  it('when issuer, audience or expiry is wrong, then there is no caller', async () => {
    expect(await verify(`Bearer ${await sign({}, { issuer: 'https://evil.example' })}`)).toBeNull();
    expect(await verify(`Bearer ${await sign({}, { audience: 'other' })}`)).toBeNull();
    expect(await verify(`Bearer ${await sign({}, { exp: '-1m' })}`)).toBeNull();
  });

  it('when the token is not RS256 from the issuer’s keys, or the header is not a bearer, then there is no caller', async () => {
    const hs256 = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setIssuer(issuer).setAudience(audience).setSubject('alice').setIssuedAt().setExpirationTime('1h').sign(new TextEncoder().encode('x'.repeat(32)));
    expect(await verify(`Bearer ${hs256}`)).toBeNull();
    const other = await generateKeyPair('RS256');
    const foreign = await new SignJWT({}).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setIssuer(issuer).setAudience(audience).setSubject('alice').setIssuedAt().setExpirationTime('1h').sign(other.privateKey);
    expect(await verify(`Bearer ${foreign}`)).toBeNull();
    expect(await verify(undefined)).toBeNull();
    expect(await verify(`Basic ${Buffer.from('a:b').toString('base64')}`)).toBeNull();
    expect(await verify('Bearer not-a-token')).toBeNull();
  });
});
