import { describe, expect, it } from 'vitest';
import { hostPortOf, proxiedEnv } from './dependency-proxies.ts';

const direct = {
  GOOGLE_CLOUD_PROJECT: 'p',
  PUBSUB_EMULATOR_HOST: '127.0.0.1:8085',
  FIRESTORE_EMULATOR_HOST: '127.0.0.1:8087',
  DATABASE_URL: 'postgres://postgres:secret@db.local:5433/saga?sslmode=disable',
  SMTP_URL: 'smtp://127.0.0.1:1025',
  PAYMENT_PROVIDER_URL: 'http://127.0.0.1:8090',
  SMS_PROVIDER_URL: 'http://127.0.0.1:8091',
  STORAGE_EMULATOR_HOST: 'http://127.0.0.1:8092',
};
const ports = { pubsub: 20001, firestore: 20002, postgres: 20003, smtp: 20004, payment: 20005, sms: 20006 };

describe('proxiedEnv', () => {
  it('when the direct environment is given, then every proxied dependency points at its proxy and the rest is kept', () => {
    expect(proxiedEnv(direct, ports)).toEqual({
      GOOGLE_CLOUD_PROJECT: 'p',
      PUBSUB_EMULATOR_HOST: '127.0.0.1:20001',
      FIRESTORE_EMULATOR_HOST: '127.0.0.1:20002',
      DATABASE_URL: 'postgres://postgres:secret@127.0.0.1:20003/saga?sslmode=disable',
      SMTP_URL: 'smtp://127.0.0.1:20004',
      PAYMENT_PROVIDER_URL: 'http://127.0.0.1:20005',
      SMS_PROVIDER_URL: 'http://127.0.0.1:20006',
      STORAGE_EMULATOR_HOST: 'http://127.0.0.1:8092',
    });
  });

  it('when an address is missing, then the error names the variable', () => {
    const { SMTP_URL: _, ...withoutSmtp } = direct;
    expect(() => proxiedEnv(withoutSmtp, ports)).toThrow('SMTP_URL is missing');
  });
});

describe('hostPortOf', () => {
  it('when given host:port or URLs with and without a port, then it finds where to connect', () => {
    expect(hostPortOf('127.0.0.1:8085')).toEqual({ host: '127.0.0.1', port: 8085 });
    expect(hostPortOf('postgres://u@db.local/saga')).toEqual({ host: 'db.local', port: 5432 });
    expect(hostPortOf('smtp://127.0.0.1:1025')).toEqual({ host: '127.0.0.1', port: 1025 });
  });
});
