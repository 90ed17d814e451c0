import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freeStackPorts, type StackPorts } from '../stack/stack.ts';

const root = resolve(import.meta.dirname, '../..');

/**
 * Where one bench stack runs: a temporary data folder (remove it when the stack stops), an emptied log folder
 * `.data/bench/<logs>` that outlives the run, and free ports.
 */
export async function benchStackPlace(name: string, logs: string): Promise<{ dataDir: string; logDir: string; ports: StackPorts }> {
  const dataDir = mkdtempSync(join(tmpdir(), `saga-${name}-`));
  const logDir = resolve(root, '.data/bench', logs);
  rmSync(logDir, { recursive: true, force: true });
  mkdirSync(logDir, { recursive: true });
  return { dataDir, logDir, ports: await freeStackPorts() };
}
