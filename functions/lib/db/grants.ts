import type { Knex } from 'knex';

/** The role that holds what the functions may do with the tables; each function's database user is a member. */
export const APP_ROLE = 'saga_app';

const quoted = (name: string) => `"${name.replaceAll('"', '""')}"`;

/**
 * Gives the functions' database users (Cloud SQL IAM users such as `orders-api-sa@project.iam`) read and write on
 * every table and sequence, now and for tables later migrations create, through one role; nothing else (no DDL).
 * Run by the migrating identity after the migrations.
 */
export async function grantFunctionUsers(db: Knex, users: readonly string[]): Promise<void> {
  await db.transaction(async (trx) => {
    await trx.raw(`DO $$ BEGIN
      IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${APP_ROLE}') THEN CREATE ROLE ${APP_ROLE} NOLOGIN; END IF;
    END $$`);
    await trx.raw(`GRANT USAGE ON SCHEMA public TO ${APP_ROLE}`);
    await trx.raw(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${APP_ROLE}`);
    await trx.raw(`GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ${APP_ROLE}`);
    await trx.raw(`ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${APP_ROLE}`);
    await trx.raw(`ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO ${APP_ROLE}`);
    for (const user of users) await trx.raw(`GRANT ${APP_ROLE} TO ${quoted(user)}`);
  });
}

/**
 * The one-time step a Cloud SQL superuser (`postgres`) runs so the migrating IAM identity can own the schema: it
 * joins cloudsqlsuperuser (to create the app role) and becomes the database's owner (and so of `public`).
 */
export async function makeMigratorOwner(db: Knex, options: { migrator: string; database: string }): Promise<void> {
  await db.raw(`GRANT ${quoted(options.migrator)} TO CURRENT_USER`);
  await db.raw(`GRANT cloudsqlsuperuser TO ${quoted(options.migrator)}`);
  await db.raw(`ALTER DATABASE ${quoted(options.database)} OWNER TO ${quoted(options.migrator)}`);
}
