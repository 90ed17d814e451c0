import { randomUUID } from 'node:crypto';
import { context, createNoopMeter, metrics, propagation, trace, SpanKind, SpanStatusCode, type Attributes, type Context, type Link, type Span, type TextMapGetter } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, BatchSpanProcessor, ParentBasedSampler, TraceIdRatioBasedSampler } from '@opentelemetry/sdk-trace-base';
import { GoogleAuth } from 'google-auth-library';
import { config } from './config.ts';

/** The span attribute that names the order a span belongs to; the trace test and the console look spans up by it. */
export const ORDER_ID = 'saga.order_id';

/** Google's OTLP endpoint: spans go to Cloud Trace, metrics to Cloud Monitoring. */
const GOOGLE_TELEMETRY = 'https://telemetry.googleapis.com';

interface Telemetry {
  tracer: BasicTracerProvider;
  meter: MeterProvider;
}

let started: Telemetry | undefined;

/** Authorization and the quota project for Google's telemetry endpoint, from the runtime service account. */
export function googleHeaders(project: string, auth: Pick<GoogleAuth, 'getRequestHeaders'> = new GoogleAuth({ scopes: ['https://www.googleapis.com/auth/cloud-platform'] })) {
  return async (): Promise<Record<string, string>> => ({ ...Object.fromEntries((await auth.getRequestHeaders()).entries()), 'x-goog-user-project': project });
}

/**
 * Starts tracing and metrics for this process, once: W3C context in the current async context, PostgreSQL queries as
 * spans (Firestore and Pub/Sub make their own through the global provider), and both exported over OTLP/HTTP to
 * TELEMETRY_ENDPOINT: Google's endpoint in production, the local stack's collector otherwise. Without an endpoint,
 * spans still exist (logs carry their ids) but leave nowhere.
 */
export function startTelemetry(service: string): void {
  if (started) return;
  const { TELEMETRY_ENDPOINT: endpoint, TRACE_SAMPLE_RATIO, METRICS_EXPORT_INTERVAL_MS, GOOGLE_CLOUD_PROJECT, GOOGLE_CLOUD_REGION } = config();
  // Cloud Monitoring stores OTLP metrics as Prometheus targets: location, job (the service) and instance are required.
  const resource = resourceFromAttributes({
    'service.name': service,
    'service.instance.id': randomUUID(),
    'cloud.region': GOOGLE_CLOUD_REGION,
    'cloud.platform': 'gcp_cloud_run',
    'gcp.project_id': GOOGLE_CLOUD_PROJECT,
  });
  const headers = endpoint === GOOGLE_TELEMETRY ? googleHeaders(GOOGLE_CLOUD_PROJECT) : undefined;
  const tracer = new BasicTracerProvider({
    resource,
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(TRACE_SAMPLE_RATIO) }),
    spanProcessors: endpoint
      ? [new BatchSpanProcessor(new OTLPTraceExporter({ url: `${endpoint}/v1/traces`, ...(headers ? { headers } : {}) }), { scheduledDelayMillis: 500 })]
      : [],
  });
  trace.setGlobalTracerProvider(tracer);
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  // Spans only: the instrumentation's own histogram of every query's duration cost CPU on each query and is not used.
  registerInstrumentations({ tracerProvider: tracer, meterProvider: { getMeter: () => createNoopMeter() }, instrumentations: [new PgInstrumentation({ requireParentSpan: true })] });
  const meter = new MeterProvider({
    resource,
    readers: endpoint
      ? [
          new PeriodicExportingMetricReader({
            exporter: new OTLPMetricExporter({ url: `${endpoint}/v1/metrics`, ...(headers ? { headers } : {}) }),
            exportIntervalMillis: METRICS_EXPORT_INTERVAL_MS,
          }),
        ]
      : [],
  });
  metrics.setGlobalMeterProvider(meter);
  started = { tracer, meter };
}

/**
 * Sends what this instance has recorded and not yet exported. Cloud Run gives an instance CPU only while it serves a
 * request, so with TELEMETRY_FLUSH_EACH_REQUEST a step sends its spans before it acknowledges the message (and a
 * job before it answers) instead of leaving them to a timer that may not run until the next request.
 */
export async function flushTelemetry(): Promise<void> {
  if (!started) return;
  await Promise.all([started.tracer.forceFlush(), started.meter.forceFlush()]).catch(() => undefined);
}

/** The tracer of our own spans. */
export const tracer = () => trace.getTracer('saga-commerce');

/** The meter of our own metrics. */
export const meter = () => metrics.getMeter('saga-commerce');

/** Reads W3C context from Pub/Sub attributes: the client library writes it as `googclient_traceparent`. */
const attributeGetter: TextMapGetter<Record<string, string>> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => carrier[`googclient_${key}`] ?? carrier[key],
};

/** The current trace context as Pub/Sub message attributes, named as the client library names them (`googclient_traceparent`). */
export function messageTraceAttributes(): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return Object.fromEntries(Object.entries(carrier).map(([key, value]) => [`googclient_${key}`, value]));
}

/** The trace context a Pub/Sub message carries, or the root context when it carries none. */
export const contextOfAttributes = (attributes: Record<string, string>): Context => propagation.extract(context.active(), attributes, attributeGetter);

/** The context a W3C `traceparent` (stored beside an order or an outbox row) stands for. */
export const contextOfTraceparent = (traceparent: string | null | undefined): Context =>
  traceparent ? propagation.extract(context.active(), { traceparent }) : context.active();

/** The current context as a W3C `traceparent`, to store beside what will be published later; null when there is none. */
export function currentTraceparent(): string | null {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent ?? null;
}

/** The trace id inside a W3C traceparent (`00-<trace>-<span>-<flags>`), or null. */
export const traceIdOf = (traceparent: string | null | undefined): string | null =>
  /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/.exec(traceparent ?? '')?.[1] ?? null;

/** Runs `work` in a new span, ending it when the work settles, recording an exception as the span's error. */
export async function inSpan<R>(
  name: string,
  options: { kind?: SpanKind; attributes?: Attributes; parent?: Context; links?: Link[] },
  work: (span: Span) => Promise<R>,
): Promise<R> {
  const parent = options.parent ?? context.active();
  const span = tracer().startSpan(name, { kind: options.kind ?? SpanKind.INTERNAL, ...(options.attributes ? { attributes: options.attributes } : {}), ...(options.links ? { links: options.links } : {}) }, parent);
  try {
    return await context.with(trace.setSpan(parent, span), () => work(span));
  } catch (err) {
    span.recordException(err as Error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
    throw err;
  } finally {
    span.end();
  }
}

/**
 * Runs `work` in a span of an order's own trace (from the traceparent stored with the order), linked to the span
 * that is current (a scheduled job's, an operator's request): a nudge, a timeout or a replay shows in the order's
 * trace, and the job's trace still points at it.
 */
export function inOrderTrace<R>(traceparent: string | null | undefined, name: string, attributes: Attributes, work: (span: Span) => Promise<R>): Promise<R> {
  const current = trace.getSpan(context.active())?.spanContext();
  return inSpan(name, { attributes, parent: contextOfTraceparent(traceparent), ...(current ? { links: [{ context: current }] } : {}) }, work);
}

/** Cloud Logging's fields that join a log line to its trace and span, for the current span. */
export function logTraceFields(): Record<string, string | boolean> {
  const span = trace.getSpan(context.active())?.spanContext();
  if (!span) return {};
  return {
    'logging.googleapis.com/trace': `projects/${config().GOOGLE_CLOUD_PROJECT}/traces/${span.traceId}`,
    'logging.googleapis.com/spanId': span.spanId,
    'logging.googleapis.com/trace_sampled': (span.traceFlags & 1) === 1,
  };
}

export { SpanKind };
