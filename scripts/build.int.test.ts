import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { bundleAll, keptExternal, stopBundler } from './build.ts';
import { freePort, listening, startService, waitFor, type Service } from './stack/process.ts';
import { functionCommand } from './stack/stack.ts';

const stack = inject('stack');
const root = resolve(import.meta.dirname, '..');
// Inside the repository, so the packages left out resolve from its node_modules as they do for dist/functions.
const outdir = join(root, '.data', `build-test-${process.pid}`);
const started: Service[] = [];

afterAll(async () => {
  await Promise.all(started.map((s) => s.stop()));
  await stopBundler();
  rmSync(outdir, { recursive: true, force: true });
});

describe('the function bundles', () => {
  it('when a function using Pub/Sub, Firestore and PostgreSQL is bundled with its packages inlined, then it starts and answers through all three', async () => {
    const [entry] = await bundleAll({ 'bundled-clients': join(root, 'test/support/bundled-clients.fixture.ts') }, { outdir });
    const manifest = JSON.parse(readFileSync(join(outdir, 'bundled-clients', 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect(Object.keys(manifest.dependencies)).toEqual(['@google-cloud/functions-framework', 'pg']);
    expect(readFileSync(entry!, 'utf8')).not.toMatch(/from ["']@google-cloud\/(pubsub|firestore)["']/);

    const port = await freePort();
    const logDir = join(outdir, 'logs');
    mkdirSync(logDir, { recursive: true });
    const service = startService({
      name: 'bundled-clients',
      ...functionCommand({ name: 'bundled-clients', source: entry!, signature: 'http', port, env: stack.env }),
      logFile: join(logDir, 'bundled-clients.log'),
    });
    started.push(service);
    await waitFor('bundled-clients', () => listening(port), { timeoutMs: 60_000, hint: `See ${logDir}.`, service });
    const response = await fetch(`http://127.0.0.1:${port}/`);
    const body = (await response.json()) as { topics: number; products: number; one: number; pgFrom: string | null };
    expect(response.status, JSON.stringify(body)).toBe(200);
    expect(body.topics).toBeGreaterThan(0);
    expect(body.products).toBe(1);
    expect(body.one).toBe(1);
    // pg is required from node_modules, where OpenTelemetry's instrumentation patches it.
    expect(body.pgFrom).toBe(join(root, 'node_modules/pg/lib/index.js'));
    // A build of some 10 MB and a start, on a shared 2-core machine.
  }, 120_000);

  it('when the functions are bundled, then each package.json names only packages that are left out of the bundle', () => {
    const manifests = ['orders-api', 'api-docs', 'saga-audit'].map(
      (fn) => JSON.parse(readFileSync(join(root, 'dist/functions', fn, 'package.json'), 'utf8')) as { dependencies: Record<string, string> },
    );
    for (const manifest of manifests) {
      expect(Object.keys(manifest.dependencies)).toContain('@google-cloud/functions-framework');
      for (const pkg of Object.keys(manifest.dependencies)) expect(keptExternal).toContain(pkg);
    }
    expect(Object.keys(manifests[1]!.dependencies)).toContain('swagger-ui-dist');
  });
});
