import knexFactory, { type Knex } from 'knex';
import { Connector, AuthTypes, IpAddressTypes } from '@google-cloud/cloud-sql-connector';
import pg from 'pg';
import { config, type Config } from '../config.ts';

// bigint columns hold money in minor units; they stay below 2^53, so they are safe as numbers.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

/** Creates a knex instance: through the Cloud SQL connector when INSTANCE_CONNECTION_NAME is set, else DATABASE_URL. */
export function createDb(cfg: Pick<Config, 'DATABASE_URL' | 'INSTANCE_CONNECTION_NAME' | 'DB_USER' | 'DB_NAME' | 'DB_IP_TYPE' | 'DB_IAM_AUTH' | 'DB_POOL_MAX'>): Knex {
  const pool = { min: 0, max: cfg.DB_POOL_MAX };
  if (!cfg.INSTANCE_CONNECTION_NAME) {
    return knexFactory({ client: 'pg', connection: cfg.DATABASE_URL, pool });
  }
  const connector = new Connector();
  const instanceConnectionName = cfg.INSTANCE_CONNECTION_NAME;
  return knexFactory({
    client: 'pg',
    pool,
    connection: async () => ({
      ...(await connector.getOptions({
        instanceConnectionName,
        ipType: IpAddressTypes[cfg.DB_IP_TYPE],
        authType: cfg.DB_IAM_AUTH ? AuthTypes.IAM : AuthTypes.PASSWORD,
      })),
      user: cfg.DB_USER,
      database: cfg.DB_NAME,
    }),
  });
}

let instance: Knex | undefined;

/** The process-wide database handle, created on first use. */
export function db(): Knex {
  instance ??= createDb(config());
  return instance;
}

export type { Knex };
