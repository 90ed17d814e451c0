import http from 'node:http';
import type { SpanView } from '../../schemas/index.ts';
import { serveOnLoopback } from './process.ts';

type AnyValue = { stringValue?: string; intValue?: number | string; doubleValue?: number; boolValue?: boolean; arrayValue?: { values?: AnyValue[] } };
type KeyValue = { key: string; value?: AnyValue };
type Nanos = string | number | { low: number; high: number };

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind?: number;
  startTimeUnixNano: Nanos;
  endTimeUnixNano: Nanos;
  attributes?: KeyValue[];
  status?: { code?: number; message?: string };
  events?: { name: string; timeUnixNano: Nanos; attributes?: KeyValue[] }[];
}

interface OtlpDataPoint {
  attributes?: KeyValue[];
  asInt?: number | string;
  asDouble?: number;
  count?: number | string;
  sum?: number;
  bucketCounts?: (number | string)[];
  explicitBounds?: number[];
}

/** A metric series as the collector keeps it: the newest point of each (service, name, attributes). */
export interface MetricPoint {
  service: string;
  name: string;
  attributes: Record<string, string | number | boolean>;
  value?: number;
  histogram?: { count: number; sum: number; bounds: number[]; counts: number[] };
}

const valueOf = (v: AnyValue | undefined): string | number | boolean =>
  v?.stringValue ?? (v?.intValue !== undefined ? Number(v.intValue) : undefined) ?? v?.doubleValue ?? v?.boolValue ?? JSON.stringify(v?.arrayValue?.values?.map(valueOf) ?? null);

const attributesOf = (kvs: KeyValue[] | undefined) => Object.fromEntries((kvs ?? []).map((kv) => [kv.key, valueOf(kv.value)]));

const millis = (n: Nanos): number =>
  typeof n === 'object' ? (n.high * 2 ** 32 + (n.low >>> 0)) / 1e6 : Number(BigInt(n) / 1000n) / 1000;

const KINDS = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'] as const;

/**
 * The local stand-in for Cloud Trace and Cloud Monitoring: an OTLP/HTTP (JSON) receiver that keeps the newest traces
 * and metric points in memory and answers `GET /traces/{traceId}`, `GET /orders/{orderId}/trace` and `GET /metrics`.
 * Nothing leaves the machine.
 */
export async function startTelemetryCollector(options: { port: number; maxTraces?: number }): Promise<{ url: string; close(): Promise<void> }> {
  const maxTraces = options.maxTraces ?? 20_000;
  const traces = new Map<string, SpanView[]>();
  const traceOfOrder = new Map<string, string>();
  const points = new Map<string, MetricPoint>();

  const addSpan = (service: string, s: OtlpSpan) => {
    const attributes = attributesOf(s.attributes);
    const start = millis(s.startTimeUnixNano);
    const span: SpanView = {
      traceId: s.traceId,
      spanId: s.spanId,
      parentSpanId: s.parentSpanId || null,
      name: s.name,
      kind: KINDS[s.kind ?? 0] ?? 'unspecified',
      service,
      startedAt: new Date(start).toISOString(),
      ms: Math.round((millis(s.endTimeUnixNano) - start) * 1000) / 1000,
      error: s.status?.code === 2 ? (s.status.message ?? 'error') : null,
      attributes,
    };
    let spans = traces.get(s.traceId);
    if (!spans) {
      spans = [];
      traces.set(s.traceId, spans);
      if (traces.size > maxTraces) traces.delete(traces.keys().next().value!);
    }
    spans.push(span);
    const orderId = attributes['saga.order_id'];
    if (typeof orderId === 'string' && orderId && !traceOfOrder.has(orderId)) traceOfOrder.set(orderId, s.traceId);
  };

  const addMetrics = (body: { resourceMetrics?: { resource?: { attributes?: KeyValue[] }; scopeMetrics?: { metrics?: Record<string, unknown>[] }[] }[] }) => {
    for (const rm of body.resourceMetrics ?? []) {
      const service = String(attributesOf(rm.resource?.attributes)['service.name'] ?? 'unknown');
      for (const metric of (rm.scopeMetrics ?? []).flatMap((sm) => sm.metrics ?? [])) {
        const name = metric.name as string;
        const data = (metric.sum ?? metric.gauge ?? metric.histogram) as { dataPoints?: OtlpDataPoint[] } | undefined;
        for (const dp of data?.dataPoints ?? []) {
          const attributes = attributesOf(dp.attributes);
          const point: MetricPoint = metric.histogram
            ? { service, name, attributes, histogram: { count: Number(dp.count ?? 0), sum: dp.sum ?? 0, bounds: dp.explicitBounds ?? [], counts: (dp.bucketCounts ?? []).map(Number) } }
            : { service, name, attributes, value: dp.asDouble ?? Number(dp.asInt ?? 0) };
          points.set(JSON.stringify([service, name, attributes]), point);
        }
      }
    }
  };

  const send = (res: http.ServerResponse, status: number, body: unknown) => res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
  const traceBody = (traceId: string) => ({ traceId, spans: [...(traces.get(traceId) ?? [])].sort((a, b) => a.startedAt.localeCompare(b.startedAt)) });

  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (req.method === 'POST' && (path === '/v1/traces' || path === '/v1/metrics')) {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        try {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          if (path === '/v1/traces') {
            for (const rs of body.resourceSpans ?? []) {
              const service = String(attributesOf(rs.resource?.attributes)['service.name'] ?? 'unknown');
              for (const ss of rs.scopeSpans ?? []) for (const s of ss.spans ?? []) addSpan(service, s);
            }
          } else addMetrics(body);
          send(res, 200, {});
        } catch (err) {
          send(res, 400, { error: `not OTLP JSON: ${(err as Error).message}` });
        }
      });
      return;
    }
    const trace = /^\/traces\/([0-9a-f]{32})$/.exec(path);
    if (req.method === 'GET' && trace) return send(res, traces.has(trace[1]!) ? 200 : 404, traceBody(trace[1]!));
    const order = /^\/orders\/([0-9a-f-]{36})\/trace$/.exec(path);
    if (req.method === 'GET' && order) {
      const traceId = traceOfOrder.get(order[1]!);
      return traceId ? send(res, 200, traceBody(traceId)) : send(res, 404, { error: `no trace of order ${order[1]}` });
    }
    if (req.method === 'GET' && path === '/metrics') return send(res, 200, { points: [...points.values()] });
    send(res, 404, { error: `no ${req.method} ${path}` });
  });
  return serveOnLoopback(server, options.port);
}
