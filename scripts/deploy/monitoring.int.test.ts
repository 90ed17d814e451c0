import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertPolicies, MONITORING_DIR } from '../../infra/monitoring.ts';
import { startGcloudRecorder } from '../../test/support/gcloud-recorder.ts';
import { applyMonitoring } from './monitoring.ts';

const project = 'saga-monitoring';
let recorder: Awaited<ReturnType<typeof startGcloudRecorder>>;

beforeAll(async () => {
  recorder = await startGcloudRecorder({ project });
});
afterAll(() => recorder.close());

const file = (path: string) => JSON.parse(readFileSync(join(MONITORING_DIR, path), 'utf8')) as Record<string, unknown>;

describe('infra/monitoring in the real gcloud', () => {
  it('when applied to a project, then gcloud sends every policy and the dashboard exactly as written, and a second run updates them in place', async () => {
    const ids = Object.keys(alertPolicies());
    const first = await applyMonitoring({ project, env: recorder.env, progress: () => undefined });
    expect(first).toEqual({ created: [...ids.map((id) => `alert policy ${id}`), 'dashboard'], updated: [] });

    // gcloud parses each file into its API message first: a field it does not know would have failed the command.
    const created = recorder.requests.filter((r) => r.method === 'POST' && r.status === 200);
    const policies = created.filter((r) => r.path === `/v3/projects/${project}/alertPolicies`).map((r) => r.body);
    expect(policies).toEqual(ids.map((id) => file(`alert-policies/${id}.json`)));
    expect(created.filter((r) => r.path === `/v1/projects/${project}/dashboards`).map((r) => r.body)).toEqual([file('dashboard.json')]);

    const second = await applyMonitoring({ project, env: recorder.env, progress: () => undefined });
    expect(second).toEqual({ created: [], updated: [...ids.map((id) => `alert policy ${id}`), 'dashboard'] });
    const kept = [...recorder.state.resources.keys()].filter((name) => /\/(alertPolicies|dashboards)\//.test(name));
    expect(kept).toHaveLength(ids.length + 1);
  }, 240_000);
});
