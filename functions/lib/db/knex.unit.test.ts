import { describe, expect, it, vi } from 'vitest';
import { createDb } from './knex.ts';

const made = vi.hoisted(() => ({ connectors: 0, options: [] as unknown[] }));
vi.mock('@google-cloud/cloud-sql-connector', () => ({
  AuthTypes: { IAM: 'IAM', PASSWORD: 'PASSWORD' },
  IpAddressTypes: { PRIVATE: 'PRIVATE', PUBLIC: 'PUBLIC', PSC: 'PSC' },
  Connector: class {
    constructor() {
      made.connectors++;
    }
    async getOptions(options: unknown) {
      made.options.push(options);
      return { stream: () => undefined };
    }
  },
}));

const base = { DATABASE_URL: '', DB_USER: 'saga', DB_NAME: 'saga', DB_IP_TYPE: 'PRIVATE', DB_IAM_AUTH: true, DB_POOL_MAX: 2 } as const;
/** The function knex calls for the settings of each new connection. */
const settingsOf = (db: ReturnType<typeof createDb>) => (db.client as { connectionConfigProvider: () => Promise<Record<string, unknown>> }).connectionConfigProvider;

describe('the database handle', () => {
  it('when no Cloud SQL instance is configured, then the connector is never loaded', async () => {
    const db = createDb({ ...base, DATABASE_URL: 'postgres://saga@127.0.0.1:1/saga', INSTANCE_CONNECTION_NAME: undefined });
    await db.destroy();
    expect(made.connectors).toBe(0);
  });

  it('when two first connections to a Cloud SQL instance start at once, then they share one connector', async () => {
    const db = createDb({ ...base, INSTANCE_CONNECTION_NAME: 'p:europe-west1:saga' });
    const [first, second] = await Promise.all([settingsOf(db)(), settingsOf(db)()]);
    await db.destroy();
    expect(made.connectors).toBe(1);
    expect(made.options).toEqual([
      { instanceConnectionName: 'p:europe-west1:saga', ipType: 'PRIVATE', authType: 'IAM' },
      { instanceConnectionName: 'p:europe-west1:saga', ipType: 'PRIVATE', authType: 'IAM' },
    ]);
    expect(first).toMatchObject({ user: 'saga', database: 'saga', statement_timeout: 10_000 });
    expect(second).toHaveProperty('stream');
  });
});
