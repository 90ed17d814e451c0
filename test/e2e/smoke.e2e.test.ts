import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { seedProduct, stack, tokenFor, unique } from '../support/saga.ts';

const smoke = (args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'scripts/smoke.ts', ...args], { cwd: resolve(import.meta.dirname, '../..'), encoding: 'utf8', timeout: 60_000 });

describe('npm run smoke', () => {
  it('when pointed at a running stack with a token, then it places an order and reports it CONFIRMED', async () => {
    const product = await seedProduct({ available: 3 });
    const run = smoke(['--url', stack.api, '--token', await tokenFor(unique('smoke')), '--product', product, '--timeout', '30']);
    expect(run.stdout).toMatch(/✓ order [0-9a-f-]+ CONFIRMED/);
    expect(run.status).toBe(0);
  });

  it('when the card is declined, then it fails saying the order was cancelled', async () => {
    const product = await seedProduct({ available: 3 });
    const run = smoke(['--url', stack.api, '--token', await tokenFor(unique('smoke')), '--product', product, '--payment-method', 'pm_card_chargeDeclined', '--timeout', '30']);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/cancelled \(payment_declined\)/);
  });
});
