import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { metricNames, metrics } from '../schemas/index.ts';
import { alertPolicies, dashboard, metricsRead, monitoringFiles, monitoringFilesOnDisk } from './monitoring.ts';

/** The fields of Cloud Monitoring's AlertPolicy (v3) the policies use; an unknown or misspelled field fails. */
const AlertPolicy = z.strictObject({
  displayName: z.string().min(1).max(512),
  documentation: z.strictObject({ content: z.string().min(1).max(10_240), mimeType: z.literal('text/markdown') }),
  userLabels: z.record(z.string().regex(/^[a-z][a-z0-9_-]{0,62}$/), z.string().regex(/^[a-z0-9_-]{0,63}$/)),
  combiner: z.enum(['AND', 'OR']),
  severity: z.enum(['CRITICAL', 'ERROR', 'WARNING']),
  conditions: z
    .array(
      z.strictObject({
        displayName: z.string().min(1),
        conditionPrometheusQueryLanguage: z.strictObject({
          query: z.string().min(1),
          duration: z.string().regex(/^\d+s$/),
          evaluationInterval: z.string().regex(/^\d+s$/),
        }),
      }),
    )
    .min(1)
    .max(6),
  alertStrategy: z.strictObject({ autoClose: z.string().regex(/^\d+s$/) }),
});

/** The fields of a Dashboard (v1) with a mosaic layout of XY charts. */
const Dashboard = z.strictObject({
  displayName: z.string().min(1),
  labels: z.record(z.string(), z.string()),
  mosaicLayout: z.strictObject({
    columns: z.number().int().min(1).max(48),
    tiles: z.array(
      z.strictObject({
        xPos: z.number().int().min(0),
        yPos: z.number().int().min(0),
        width: z.number().int().min(1),
        height: z.number().int().min(1),
        widget: z.strictObject({
          title: z.string().min(1),
          xyChart: z.strictObject({
            dataSets: z.array(z.strictObject({ prometheusQuery: z.string().min(1), plotType: z.enum(['LINE', 'STACKED_AREA', 'STACKED_BAR']), targetAxis: z.enum(['Y1', 'Y2']) })).min(1),
            yAxis: z.strictObject({ scale: z.enum(['LINEAR', 'LOG10']) }),
          }),
        }),
      }),
    ),
  }),
});

/** PromQL that at least balances its brackets and quotes every metric name (they contain dots). */
function wellFormed(query: string): boolean {
  const pairs: Record<string, string> = { ')': '(', ']': '[', '}': '{' };
  const stack: string[] = [];
  let quoted = false;
  for (const c of query) {
    if (c === '"') quoted = !quoted;
    if (quoted) continue;
    if ('([{'.includes(c)) stack.push(c);
    if (c in pairs && stack.pop() !== pairs[c]) return false;
  }
  return stack.length === 0 && !quoted && !/(^|[^"{\w])saga\./.test(query);
}

const queries = () => [
  ...Object.values(alertPolicies()).flatMap((p) => p.conditions.map((c) => c.conditionPrometheusQueryLanguage.query)),
  ...dashboard().mosaicLayout.tiles.flatMap((t) => t.widget.xyChart.dataSets.map((d) => d.prometheusQuery)),
];

describe('alert policies and the dashboard (infra/monitoring)', () => {
  it('when the code that makes them changes, then the files have been regenerated (npm run docs)', () => {
    expect(monitoringFilesOnDisk()).toEqual(monitoringFiles());
  });

  it('when read as Cloud Monitoring resources, then every policy and the dashboard have only known fields, in range', () => {
    for (const [id, policy] of Object.entries(alertPolicies())) expect(AlertPolicy.safeParse(policy).error, id).toBeUndefined();
    expect(Dashboard.safeParse(dashboard()).error).toBeUndefined();
    const tiles = dashboard().mosaicLayout.tiles;
    for (const t of tiles) expect(t.xPos + t.width).toBeLessThanOrEqual(dashboard().mosaicLayout.columns);
  });

  it('when a query names a metric, then it is one the functions record, quoted, and the query is well formed', () => {
    expect(metricsRead().filter((m) => !(metricNames as string[]).includes(m))).toEqual([]);
    for (const q of queries()) expect(wellFormed(q), q).toBe(true);
    for (const q of queries().filter((q) => q.includes('_bucket'))) {
      for (const name of metricsRead().filter((m) => q.includes(`"${m}_bucket"`))) expect(metrics[name as keyof typeof metrics].kind, name).toBe('histogram');
    }
  });

  it('when an operator must act, then there is a policy for it: dead letters, orders needing attention, p99 saga latency, the outbox', () => {
    const reads = (id: string) => alertPolicies()[id]!.conditions[0]!.conditionPrometheusQueryLanguage.query;
    expect(reads('dead-letters')).toContain('"saga.dead_letters.open"');
    expect(reads('orders-needing-attention')).toContain('"saga.orders.needing_attention"');
    expect(reads('saga-latency')).toMatch(/histogram_quantile\(0\.99, .*"saga\.order\.duration_bucket"/);
    expect(reads('outbox-lag')).toContain('"saga.outbox.lag"');
    for (const policy of Object.values(alertPolicies())) expect(policy.documentation.content).toContain('docs/operations.md');
  });
});
