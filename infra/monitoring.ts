import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { MetricName } from '../schemas/index.ts';

/** Where the alert policies (`alert-policies/<id>.json`) and the dashboard (`dashboard.json`) are written. */
export const MONITORING_DIR = resolve(import.meta.dirname, 'monitoring');

/**
 * Cloud Monitoring stores the functions' OTLP metrics as Prometheus time series under their own names (dots kept),
 * so conditions and charts are PromQL with UTF-8 quoted names: `{"saga.outbox.lag"}`. A histogram's buckets are
 * `<name>_bucket`, its count `<name>_count`.
 */
export const promql = (name: MetricName, suffix: '' | '_bucket' | '_count' | '_sum' = '', labels = '') => `{"${name}${suffix}"${labels ? `, ${labels}` : ''}}`;

/** One alert policy as the Cloud Monitoring API (v3 `projects.alertPolicies`) takes it. */
export interface AlertPolicy {
  displayName: string;
  documentation: { content: string; mimeType: 'text/markdown' };
  userLabels: Record<string, string>;
  combiner: 'OR';
  severity: 'CRITICAL' | 'ERROR' | 'WARNING';
  conditions: {
    displayName: string;
    conditionPrometheusQueryLanguage: { query: string; duration: string; evaluationInterval: string };
  }[];
  alertStrategy: { autoClose: string };
}

const RUNBOOK = 'docs/operations.md';

const policy = (id: string, p: { name: string; severity: AlertPolicy['severity']; query: string; forSeconds: number; what: string; action: string }): [string, AlertPolicy] => [
  id,
  {
    displayName: `Saga Commerce: ${p.name}`,
    documentation: { content: `${p.what}\n\n**What to do:** ${p.action} See ${RUNBOOK}.`, mimeType: 'text/markdown' },
    userLabels: { app: 'saga-commerce', alert: id },
    combiner: 'OR',
    severity: p.severity,
    conditions: [{ displayName: p.name, conditionPrometheusQueryLanguage: { query: p.query, duration: `${p.forSeconds}s`, evaluationInterval: '60s' } }],
    alertStrategy: { autoClose: '1800s' },
  },
];

/** p99 of the time from placing an order to its outcome above which an operator is told. */
export const SAGA_P99_THRESHOLD_MS = 30_000;

/** The alert policies, by file name: what an operator must act on, each with its runbook. */
export function alertPolicies(): Record<string, AlertPolicy> {
  return Object.fromEntries([
    policy('dead-letters', {
      name: 'dead letters waiting',
      severity: 'ERROR',
      query: `max(${promql('saga.dead_letters.open')}) > 0`,
      forSeconds: 60,
      what: 'An event was given up after its last attempt (or could never be read) and waits in a dead-letter topic; its order is NEEDS_ATTENTION.',
      action: 'Open the console’s dead letters, read the last error, fix the cause, then replay (a dry run first says what it would do again) or discard with a reason.',
    }),
    policy('orders-needing-attention', {
      name: 'orders needing attention',
      severity: 'ERROR',
      query: `max(${promql('saga.orders.needing_attention')}) > 0`,
      forSeconds: 60,
      what: 'An order cannot go on without an operator: a dead letter, or money the provider refused to give back.',
      action: 'Open the order’s timeline in the console; retry it, or replay its dead letter once the cause is fixed.',
    }),
    policy('saga-latency', {
      name: `p99 saga latency over ${SAGA_P99_THRESHOLD_MS / 1000} s`,
      severity: 'WARNING',
      query: `histogram_quantile(0.99, sum by (le) (rate(${promql('saga.order.duration', '_bucket')}[10m]))) > ${SAGA_P99_THRESHOLD_MS}`,
      forSeconds: 300,
      what: 'Orders take long to reach CONFIRMED or CANCELLED: a slow provider, a step retrying, or functions at their instance limit.',
      action: 'Look at the dashboard’s step latency and failed deliveries by function; open a slow order’s trace.',
    }),
    policy('outbox-lag', {
      name: 'outbox not draining',
      severity: 'CRITICAL',
      query: `max(${promql('saga.outbox.lag')}) > 120`,
      forSeconds: 120,
      what: 'Committed events have not reached Pub/Sub for two minutes: orders wait before their saga starts.',
      action: 'Check outbox-sweep’s logs and that Pub/Sub answers; the sweeper publishes everything once it can.',
    }),
    policy('step-failures', {
      name: 'steps failing',
      severity: 'WARNING',
      query: `sum by (function) (rate(${promql('saga.step.deliveries', '', 'outcome="failed"')}[5m])) > 0.1`,
      forSeconds: 300,
      what: 'A step keeps failing deliveries (a dependency down or slow); Pub/Sub retries them and gives them up after the last attempt.',
      action: 'Read the function’s recent errors (Logs Explorer, severity ≥ WARNING) and the dependency it names.',
    }),
  ]);
}

/** A chart of the dashboard: a title and the PromQL of each line. */
interface Chart {
  title: string;
  queries: string[];
  unit?: string;
}

const charts: Chart[] = [
  { title: 'Orders finished per minute, by outcome and reason', queries: [`sum by (outcome, reason) (rate(${promql('saga.orders.finished')}[5m])) * 60`] },
  {
    title: 'Saga latency p50 / p99 (ms)',
    queries: [0.5, 0.99].map((q) => `histogram_quantile(${q}, sum by (le) (rate(${promql('saga.order.duration', '_bucket')}[5m])))`),
  },
  { title: 'Step latency p99 by function (ms)', queries: [`histogram_quantile(0.99, sum by (le, function) (rate(${promql('saga.step.duration', '_bucket')}[5m])))`] },
  { title: 'Failed deliveries per minute, by function', queries: [`sum by (function) (rate(${promql('saga.step.deliveries', '', 'outcome!="handled"')}[5m])) * 60`] },
  {
    title: 'Retries per handled delivery, by function',
    queries: [`sum by (function) (rate(${promql('saga.step.deliveries', '', 'outcome="failed"')}[10m])) / sum by (function) (rate(${promql('saga.step.deliveries', '', 'outcome="handled"')}[10m]))`],
  },
  { title: 'Compensation latency p99 (ms)', queries: [`histogram_quantile(0.99, sum by (le, function) (rate(${promql('saga.compensation.latency', '_bucket')}[10m])))`] },
  { title: 'Dead letters and orders needing attention', queries: [`max(${promql('saga.dead_letters.open')})`, `max(${promql('saga.orders.needing_attention')})`] },
  { title: 'Outbox lag (s) and running sagas', queries: [`max(${promql('saga.outbox.lag')})`, `max(${promql('saga.orders.pending')})`] },
];

/** The dashboard as the Cloud Monitoring API (v1 `projects.dashboards`) takes it: two charts per row. */
export function dashboard() {
  return {
    displayName: 'Saga Commerce',
    labels: { app: 'saga-commerce' },
    mosaicLayout: {
      columns: 12,
      tiles: charts.map((chart, i) => ({
        xPos: (i % 2) * 6,
        yPos: Math.floor(i / 2) * 4,
        width: 6,
        height: 4,
        widget: {
          title: chart.title,
          xyChart: {
            dataSets: chart.queries.map((query) => ({ prometheusQuery: query, plotType: 'LINE', targetAxis: 'Y1' })),
            yAxis: { scale: 'LINEAR' },
          },
        },
      })),
    },
  };
}

/** Every metric a policy or a chart reads, so a renamed metric cannot leave one reading nothing. */
export function metricsRead(): string[] {
  const text = JSON.stringify([alertPolicies(), dashboard()]);
  return [...new Set([...text.matchAll(/\{\\"([a-z_.]+?)(?:_bucket|_count|_sum)?\\"/g)].map((m) => m[1]!))].sort();
}


/** The files under infra/monitoring and their content, as `npm run docs` writes them. */
export function monitoringFiles(): Record<string, string> {
  const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;
  return {
    ...Object.fromEntries(Object.entries(alertPolicies()).map(([id, p]) => [join('alert-policies', `${id}.json`), json(p)])),
    'dashboard.json': json(dashboard()),
  };
}

/** Writes infra/monitoring afresh (a policy removed from the code disappears from the folder). */
export function writeMonitoringFiles(): void {
  rmSync(join(MONITORING_DIR, 'alert-policies'), { recursive: true, force: true });
  mkdirSync(join(MONITORING_DIR, 'alert-policies'), { recursive: true });
  for (const [file, text] of Object.entries(monitoringFiles())) writeFileSync(join(MONITORING_DIR, file), text);
}

/** The files under infra/monitoring as they are on disk. */
export function monitoringFilesOnDisk(): Record<string, string> {
  const policies = readdirSync(join(MONITORING_DIR, 'alert-policies')).map((f) => join('alert-policies', f));
  return Object.fromEntries([...policies, 'dashboard.json'].map((f) => [f, readFileSync(join(MONITORING_DIR, f), 'utf8')]));
}
