import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { checkCompatibility, contractFiles, CONTRACT_DIR } from './contracts.ts';

const root = resolve(import.meta.dirname, '..');
const run = promisify(execFile);

/** Runs Redocly CLI's lint (its `recommended` rules) on a file; resolves with its exit code and output. */
async function lint(file: string, extra: string[] = []) {
  const result = await run(resolve(root, 'node_modules/.bin/redocly'), ['lint', file, '--format=stylish', ...extra], {
    cwd: root,
    env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
  }).then(
    (r) => ({ code: 0, output: r.stdout + r.stderr }),
    (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, output: err.stdout + err.stderr }),
  );
  return result;
}

describe('the published contracts', () => {
  it('when the operations or schemas change, then docs/api has been regenerated (npm run docs)', () => {
    for (const [path, text] of Object.entries(contractFiles())) expect({ path, text: readFileSync(resolve(root, path), 'utf8') }).toEqual({ path, text });
  });

  it('when Redocly lints the OpenAPI document with its recommended rules, then there is no error and no warning', async () => {
    const result = await lint(`${CONTRACT_DIR}/openapi.json`, ['--extends=recommended']);
    expect(result.output).toContain('Your API description is valid');
    expect(result.output).not.toMatch(/You have \d+ warnings?/);
    expect(result.code).toBe(0);
  });

  it('when Redocly lints the AsyncAPI document, then there is no error', async () => {
    const result = await lint(`${CONTRACT_DIR}/asyncapi.json`);
    expect(result.code, result.output).toBe(0);
  });

  it('when the code changed since the contract was published, then no change breaks a client (or the major version was raised)', () => {
    const result = checkCompatibility();
    expect(result.ok, result.message).toBe(true);
  });
});
