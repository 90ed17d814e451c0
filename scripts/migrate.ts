import { parseConfig } from '../functions/lib/config.ts';
import { createDb } from '../functions/lib/db/knex.ts';
import { migrateLatest } from '../functions/lib/db/migrations.ts';
import { readDevStackFile } from './stack/dev-stack-file.ts';

// Migrates DATABASE_URL (or the Cloud SQL instance in INSTANCE_CONNECTION_NAME), else the running dev stack's database.
const env = process.env.DATABASE_URL || process.env.INSTANCE_CONNECTION_NAME ? process.env : { ...process.env, ...readDevStackFile().directEnv };
const db = createDb(parseConfig(env));
try {
  const applied = await migrateLatest(db);
  console.log(applied.length ? `applied: ${applied.join(', ')}` : 'the schema is up to date');
} catch (err) {
  console.error(`✗ migration failed: ${(err as Error).message}`);
  process.exitCode = 1;
} finally {
  await db.destroy();
}
