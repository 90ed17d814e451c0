import { GoogleAuth } from 'google-auth-library';
import type { SpanView } from '../../schemas/index.ts';
import { withDeadline } from './resilience.ts';

/** Reads the spans of one trace back from where the functions export them. */
export interface TraceStore {
  spans(traceId: string): Promise<SpanView[]>;
  /** Where a person opens the whole trace, or null. */
  urlOf(traceId: string): string | null;
}

/** The local stack's collector (`GET /traces/{traceId}`). */
export function collectorTraces(baseUrl: string, options: { timeoutMs: number }): TraceStore {
  return {
    async spans(traceId) {
      const res = await withDeadline(fetch(`${baseUrl}/traces/${traceId}`), options.timeoutMs, 'trace collector');
      if (res.status === 404) return [];
      if (!res.ok) throw new Error(`trace collector answered ${res.status}`);
      return ((await res.json()) as { spans: SpanView[] }).spans;
    },
    urlOf: () => null,
  };
}

interface CloudTraceSpan {
  spanId: string;
  name: string;
  kind?: string;
  startTime: string;
  endTime: string;
  parentSpanId?: string;
  labels?: Record<string, string>;
}

const cloudKinds: Record<string, SpanView['kind']> = { RPC_SERVER: 'server', RPC_CLIENT: 'client', SPAN_KIND_UNSPECIFIED: 'unspecified' };

/** Maps a Cloud Trace v1 span to the API's span (ids there are decimal; the API's are hex, as in the traceparent). */
export function fromCloudTrace(traceId: string, s: CloudTraceSpan): SpanView {
  const labels = s.labels ?? {};
  const started = Date.parse(s.startTime);
  return {
    traceId,
    spanId: BigInt(s.spanId).toString(16).padStart(16, '0'),
    parentSpanId: s.parentSpanId ? BigInt(s.parentSpanId).toString(16).padStart(16, '0') : null,
    name: s.name,
    kind: cloudKinds[s.kind ?? ''] ?? 'internal',
    service: labels['g.co/r/cloud_run_revision/service_name'] ?? labels['service.name'] ?? 'unknown',
    startedAt: new Date(started).toISOString(),
    ms: Date.parse(s.endTime) - started,
    error: labels['/error/message'] ?? (labels['otel.status_code'] === 'ERROR' ? (labels['otel.status_description'] ?? 'error') : null),
    attributes: labels,
  };
}

/** Cloud Trace (API v1 `projects.traces.get`), with the runtime service account (roles/cloudtrace.user). */
export function cloudTraces(project: string, options: { timeoutMs: number }): TraceStore {
  const auth = new GoogleAuth({ scopes: ['https://www.googleapis.com/auth/cloud-platform'] });
  return {
    async spans(traceId) {
      const client = await auth.getClient();
      const res = await withDeadline(
        client.request<{ spans?: CloudTraceSpan[] }>({ url: `https://cloudtrace.googleapis.com/v1/projects/${project}/traces/${traceId}`, validateStatus: (s) => s === 200 || s === 404 }),
        options.timeoutMs,
        'Cloud Trace',
      );
      return res.status === 404 ? [] : (res.data.spans ?? []).map((s) => fromCloudTrace(traceId, s)).sort((a, b) => a.startedAt.localeCompare(b.startedAt));
    },
    urlOf: (traceId) => `https://console.cloud.google.com/traces/list?project=${project}&tid=${traceId}`,
  };
}
