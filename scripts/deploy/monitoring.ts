import { join } from 'node:path';
import { alertPolicies, MONITORING_DIR } from '../../infra/monitoring.ts';
import { DeployFailed, execute, type CommandResult } from './run.ts';
import { shellLine } from './plan.ts';

/** What applying the monitoring files did. */
export interface MonitoringTally {
  created: string[];
  updated: string[];
}

const DASHBOARD_NAME = 'Saga Commerce';

/**
 * Puts infra/monitoring into a project with gcloud: each alert policy is found by its `alert` label and the dashboard
 * by its display name, then updated from its file, or created when it is not there, so running it again converges.
 * `run` is the gcloud runner (a dry run prints instead).
 */
export async function applyMonitoring(options: {
  project: string;
  env: NodeJS.ProcessEnv;
  progress: (line: string) => void;
  run?: (argv: string[]) => Promise<CommandResult>;
}): Promise<MonitoringTally> {
  const run = options.run ?? ((argv: string[]) => execute(argv, options.env));
  const p = `--project=${options.project}`;
  const gcloud = async (argv: string[]) => {
    const result = await run(['gcloud', ...argv]);
    if (result.code !== 0) {
      throw new DeployFailed(`this failed:\n  ${shellLine(['gcloud', ...argv])}\n${result.stderr.trim().split('\n').slice(-6).join('\n')}\nFix it and run the deploy again.`);
    }
    return result.stdout.trim();
  };
  const tally: MonitoringTally = { created: [], updated: [] };
  for (const id of Object.keys(alertPolicies())) {
    const file = `--policy-from-file=${join(MONITORING_DIR, 'alert-policies', `${id}.json`)}`;
    const existing = (await gcloud(['alpha', 'monitoring', 'policies', 'list', p, `--filter=user_labels.alert="${id}"`, '--format=value(name)'])).split('\n').filter(Boolean);
    if (existing[0]) {
      await gcloud(['alpha', 'monitoring', 'policies', 'update', existing[0], p, file]);
      tally.updated.push(`alert policy ${id}`);
    } else {
      await gcloud(['alpha', 'monitoring', 'policies', 'create', p, file]);
      tally.created.push(`alert policy ${id}`);
    }
    options.progress(`  ✓ alert policy ${id}`);
  }
  const config = `--config-from-file=${join(MONITORING_DIR, 'dashboard.json')}`;
  const dashboards = (await gcloud(['monitoring', 'dashboards', 'list', p, `--filter=displayName="${DASHBOARD_NAME}"`, '--format=value(name)'])).split('\n').filter(Boolean);
  if (dashboards[0]) {
    await gcloud(['monitoring', 'dashboards', 'update', dashboards[0], p, config]);
    tally.updated.push('dashboard');
  } else {
    await gcloud(['monitoring', 'dashboards', 'create', p, config]);
    tally.created.push('dashboard');
  }
  options.progress('  ✓ dashboard');
  return tally;
}
