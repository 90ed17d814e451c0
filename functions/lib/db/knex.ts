import knexFactory, { type Knex } from 'knex';
import pg from 'pg';
import type * as CloudSqlConnector from '@google-cloud/cloud-sql-connector';
import { config, type Config } from '../config.ts';

// bigint columns hold money in minor units; they stay below 2^53, so they are safe as numbers.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

type DbConfig = Pick<Config, 'DATABASE_URL' | 'INSTANCE_CONNECTION_NAME' | 'DB_USER' | 'DB_NAME' | 'DB_IP_TYPE' | 'DB_IAM_AUTH' | 'DB_POOL_MAX'> &
  Partial<Pick<Config, 'DEPENDENCY_TIMEOUT_MS'>>;

/**
 * Creates a knex instance: through the Cloud SQL connector when INSTANCE_CONNECTION_NAME is set, else DATABASE_URL.
 * Every wait is bounded so an unreachable database fails a call in seconds (a 503 or a redelivery), never hangs it:
 * getting a connection, connecting, each statement, and a transaction left idle by a process that stopped.
 */
export function createDb(cfg: DbConfig): Knex {
  const timeoutMs = cfg.DEPENDENCY_TIMEOUT_MS ?? 3000;
  const pool = { min: 0, max: cfg.DB_POOL_MAX };
  const bounds = {
    connectionTimeoutMillis: timeoutMs,
    statement_timeout: 10_000,
    query_timeout: 12_000,
    idle_in_transaction_session_timeout: 60_000,
    keepAlive: true,
    // pg_stat_activity and the server's log name the function that holds each connection.
    application_name: process.env.FUNCTION_TARGET ?? process.env.K_SERVICE ?? 'saga-commerce',
  };
  const acquireConnectionTimeout = timeoutMs;
  if (!cfg.INSTANCE_CONNECTION_NAME) {
    return knexFactory({ client: 'pg', connection: { connectionString: cfg.DATABASE_URL, ...bounds }, pool, acquireConnectionTimeout });
  }
  const instanceConnectionName = cfg.INSTANCE_CONNECTION_NAME;
  // The connector (and the Google APIs client it brings) is loaded only where it is used, in production, on the first
  // connection; the first caller's promise is every caller's, so concurrent first connections share one connector.
  let connecting: Promise<typeof CloudSqlConnector & { connector: CloudSqlConnector.Connector }> | undefined;
  return knexFactory({
    client: 'pg',
    pool,
    acquireConnectionTimeout,
    connection: async () => {
      connecting ??= import('@google-cloud/cloud-sql-connector').then((module) => ({ ...module, connector: new module.Connector() }));
      const { connector, AuthTypes, IpAddressTypes } = await connecting;
      return {
        ...bounds,
        ...(await connector.getOptions({
          instanceConnectionName,
          ipType: IpAddressTypes[cfg.DB_IP_TYPE],
          authType: cfg.DB_IAM_AUTH ? AuthTypes.IAM : AuthTypes.PASSWORD,
        })),
        user: cfg.DB_USER,
        database: cfg.DB_NAME,
      };
    },
  });
}

let instance: Knex | undefined;

/** The process-wide database handle, created on first use. */
export function db(): Knex {
  instance ??= createDb(config());
  return instance;
}

export type { Knex };
