import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { commandKind, deployPlan, shellLine, type DeployInputs } from './plan.ts';
import { execute } from './run.ts';

const inputs: DeployInputs = {
  project: 'saga-parse-check',
  region: 'europe-west1',
  projectNumber: '123456789012',
  only: null,
  bootstrap: true,
  sql: { instance: 'saga', database: 'saga', tier: 'db-custom-1-3840', maxConnections: 100 },
  bucket: 'saga-parse-check-images',
  domain: 'api.shop.example',
  redis: { url: 'redis://10.0.0.3:6379', vpcConnector: 'saga-connector' },
  mailFrom: 'Shop <orders@shop.example>',
  smsProviderUrl: 'https://sms.example.com',
  sourceRoot: 'dist/functions',
  secrets: { payments: 'stripe-api-key', smtp: 'smtp-url', sms: 'sms-api-key' },
  migrator: 'deployer@example.com',
};

/**
 * Commands that differ only in resource names and flag values parse alike; one of each shape (the command, its flags)
 * is checked here, and the recorded deploy (recorded-deploy.int.test.ts) runs every single command of the plan.
 */
function shapes(commands: string[][]): string[][] {
  const seen = new Map<string, string[]>();
  for (const argv of commands) {
    const shape = `${commandKind(argv)}|${argv.filter((a) => a.startsWith('--')).map((a) => a.split('=')[0]).sort().join(' ')}`;
    if (!seen.has(shape)) seen.set(shape, argv);
  }
  return [...seen.values()];
}

const config = mkdtempSync(join(tmpdir(), 'gcloud-parse-'));
afterAll(() => rmSync(config, { recursive: true, force: true }));

describe('the deploy plan in the real gcloud', () => {
  it('when every kind of command the plan prints runs with a fresh configuration and no credentials, then gcloud accepts its arguments', async () => {
    const plan = deployPlan(inputs);
    const commands = shapes([...plan.commands.map((c) => c.argv), ...plan.commands.flatMap((c) => (c.update ? [c.update] : []))]);
    const env = {
      ...process.env,
      CLOUDSDK_CONFIG: config,
      CLOUDSDK_CORE_DISABLE_PROMPTS: '1',
      CLOUDSDK_CORE_DISABLE_USAGE_REPORTING: 'true',
      CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK: 'true',
    };
    const results: { line: string; code: number; said: string }[] = [];
    const queue = [...commands];
    await Promise.all(
      Array.from({ length: 3 }, async () => {
        for (let argv = queue.shift(); argv; argv = queue.shift()) {
          const result = await execute(argv, env);
          results.push({ line: shellLine(argv), code: result.code, said: result.stderr.trim().replace(/\s+/g, ' ').slice(0, 400) });
        }
      }),
    );
    // Exit 2 means gcloud rejected the arguments; exit 1 asking for an account means they parsed.
    const rejected = results.filter((r) => r.code !== 1 || !/You do not currently have an active account selected/.test(r.said));
    expect(rejected).toEqual([]);
    expect(results.length).toBe(commands.length);
  }, 300_000);
});
