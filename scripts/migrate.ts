import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { parseConfig } from '../functions/lib/config.ts';
import { grantFunctionUsers, makeMigratorOwner } from '../functions/lib/db/grants.ts';
import { createDb } from '../functions/lib/db/knex.ts';
import { migrateLatest } from '../functions/lib/db/migrations.ts';
import { readDevStackFile } from './stack/dev-stack-file.ts';

const usage = `npm run migrate                                   the running dev stack's database (or DATABASE_URL)
npm run migrate -- --instance P:R:I [--database saga] [--user <IAM user>] [--grant <user>,<user>…]
    through the Cloud SQL connector with IAM database login as --user (default: the account gcloud is logged in
    with; a service account's user is its email without .gserviceaccount.com); --grant gives the functions' users
    read and write on the tables (the deploy passes them)
npm run migrate -- --instance P:R:I --owner <IAM user>
    once, as the built-in postgres user (PGPASSWORD): makes <IAM user> the database's owner, so it can migrate`;

const { values } = parseArgs({
  options: {
    instance: { type: 'string' },
    database: { type: 'string', default: 'saga' },
    user: { type: 'string' },
    grant: { type: 'string' },
    owner: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(usage);
  process.exit(0);
}

/** The database user of the identity gcloud is logged in with. */
function gcloudUser(): string {
  const account = execFileSync('gcloud', ['config', 'get-value', 'account'], { encoding: 'utf8' }).trim();
  if (!account) throw new Error('gcloud has no account: run `gcloud auth login` and `gcloud auth application-default login`, or pass --user');
  return account.replace(/\.gserviceaccount\.com$/, '');
}

function connection(): Record<string, string | undefined> {
  if (values.instance) {
    if (!/^[^:]+:[^:]+:[^:]+$/.test(values.instance)) throw new Error(`--instance ${values.instance}: use project:region:instance`);
    const asPostgres = Boolean(values.owner);
    return {
      ...process.env,
      INSTANCE_CONNECTION_NAME: values.instance,
      DB_NAME: values.database,
      DB_USER: asPostgres ? 'postgres' : (values.user ?? gcloudUser()),
      DB_IAM_AUTH: asPostgres ? 'false' : 'true',
      DB_IP_TYPE: process.env.DB_IP_TYPE ?? 'PUBLIC',
      DB_POOL_MAX: '1',
    };
  }
  return process.env.DATABASE_URL ? process.env : { ...process.env, ...readDevStackFile().directEnv };
}

let failed = false;
try {
  const env = connection();
  const db = createDb(parseConfig(env));
  try {
    if (values.owner) {
      await makeMigratorOwner(db, { migrator: values.owner, database: values.database! });
      console.log(`${values.owner} owns database ${values.database}; migrate with --user ${values.owner}`);
    } else {
      const applied = await migrateLatest(db);
      console.log(applied.length ? `applied: ${applied.join(', ')}` : 'the schema is up to date');
      if (values.grant) {
        const users = values.grant.split(',').filter(Boolean);
        await grantFunctionUsers(db, users);
        console.log(`granted read and write on the tables to ${users.length} function users`);
      }
    }
  } finally {
    await db.destroy();
  }
} catch (err) {
  console.error(`✗ migration failed: ${(err as Error).message}\n  Check the instance name, that your identity has a Cloud SQL IAM user (the deploy creates it) and owns the database (--owner, once).`);
  failed = true;
}
process.exitCode = failed ? 1 : 0;
