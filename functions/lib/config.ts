import { z } from 'zod';

const flag = z.enum(['true', 'false']).transform((v) => v === 'true');

/** Every environment variable the functions read, with its default and what it does. */
export const Env = z.object({
  GOOGLE_CLOUD_PROJECT: z.string().min(1).default('saga-commerce-local').describe('Google Cloud project that owns the topics and the Firestore database.'),
  GOOGLE_CLOUD_REGION: z.string().min(1).default('local').describe('Region the function runs in; metrics carry it as their location.'),
  DATABASE_URL: z.string().url().default('postgres://postgres@127.0.0.1:5432/saga').describe('PostgreSQL URL; ignored when INSTANCE_CONNECTION_NAME is set.'),
  INSTANCE_CONNECTION_NAME: z.string().optional().describe('Cloud SQL instance (`project:region:instance`); when set, connect through the Cloud SQL connector.'),
  DB_USER: z.string().default('postgres').describe('Database user for the Cloud SQL connector (the service account\'s IAM user with DB_IAM_AUTH).'),
  DB_NAME: z.string().default('saga').describe('Database name for the Cloud SQL connector.'),
  DB_IP_TYPE: z.enum(['PUBLIC', 'PRIVATE', 'PSC']).default('PRIVATE').describe('IP type the Cloud SQL connector dials.'),
  DB_IAM_AUTH: flag.default(true).describe('Authenticate to Cloud SQL with the runtime service account instead of a password.'),
  DB_POOL_MAX: z.coerce.number().int().min(1).max(100).default(5).describe('Largest connection pool per function instance.'),
  AUTH_ISSUER: z.string().min(1).default('http://127.0.0.1:8080/dev-issuer').describe('Issuer (`iss`) that ID tokens must carry.'),
  AUTH_AUDIENCE: z.string().min(1).default('saga-commerce-local').describe('Audience (`aud`) that ID tokens must carry.'),
  AUTH_JWKS_URL: z.string().url().default('http://127.0.0.1:8080/dev-issuer/jwks.json').describe('URL of the issuer\'s signing keys as a JWK set.'),
  PAYMENT_PROVIDER_URL: z.string().url().default('http://127.0.0.1:8090').describe('Base URL of the Stripe API: `https://api.stripe.com` in production, the local simulator otherwise.'),
  PAYMENT_PROVIDER_API_KEY: z.string().min(1).default('sk_test_local').describe('Stripe secret key (from Secret Manager in production); the local simulator takes any `sk_test_` key.'),
  PAYMENT_PROVIDER_TIMEOUT_MS: z.coerce.number().int().positive().default(4000).describe('Give up on one payment provider call after this long; it is retried once, then the message is.'),
  SMTP_URL: z.string().url().default('smtp://127.0.0.1:1025').describe('SMTP server for email, as `smtp://host:port` or `smtps://user:pass@host:port`.'),
  MAIL_FROM: z.string().min(3).default('Saga Commerce <orders@saga-commerce.dev>').describe('Sender of customer email.'),
  SMTP_TIMEOUT_MS: z.coerce.number().int().positive().default(5000).describe('Give up on connecting to, or waiting on, the SMTP server after this long.'),
  SMS_PROVIDER_URL: z.string().url().default('http://127.0.0.1:8091').describe('Base URL of the SMS provider\'s API.'),
  SMS_PROVIDER_API_KEY: z.string().optional().describe('Bearer key for the SMS provider (from Secret Manager in production); the local sink needs none.'),
  SMS_TIMEOUT_MS: z.coerce.number().int().positive().default(4000).describe('Give up on one SMS provider call after this long.'),
  IMAGES_BUCKET: z.string().min(3).default('saga-commerce-local-images').describe('Cloud Storage bucket for product images.'),
  IMAGES_PUBLIC_URL: z.string().url().default('https://storage.googleapis.com').describe('Base URL product image URLs start with (`<base>/<bucket>/<object>`); a CDN in front of the bucket, or the local storage endpoint.'),
  CATALOG_SNAPSHOT_BUCKET: z.string().min(3).optional().describe('Cloud Storage bucket catalog-api keeps its search snapshot in (`catalog/snapshot.json`): a new instance loads it and follows changes from its time instead of reading every product; unset reads every product at start.'),
  CATALOG_SNAPSHOT_OVERLAP_SECONDS: z.coerce.number().int().min(0).default(300).describe('An instance follows product and stock changes from this long before the snapshot\'s time, so a write stamped by a clock running behind is not missed.'),
  CATALOG_SNAPSHOT_SERVE_WITHIN_SECONDS: z.coerce.number().int().min(0).default(300).describe('A new instance answers searches from a snapshot at most this old while its listeners catch up (the changes since arrive in seconds); from an older snapshot, or with 0, its first search waits for the listeners.'),
  CATALOG_SNAPSHOT_WRITE_AFTER_SECONDS: z.coerce.number().int().min(0).default(60).describe('catalog-api stores a new snapshot this long after the first product or stock change it hears (debounced); 0 never stores one.'),
  REDIS_URL: z.string().url().optional().describe('Redis (Memorystore) for cached catalog reads, as `redis://host:6379`; without it each instance caches in memory.'),
  HANDLER_TIMEOUT_MS: z.coerce.number().int().positive().default(20_000).describe('A saga step that takes longer than this is aborted and redelivered; keep it below the ack deadline.'),
  DEPENDENCY_TIMEOUT_MS: z.coerce.number().int().positive().default(3000).describe('Longest wait for PostgreSQL, Firestore or Pub/Sub on one call; past it a request answers 503 with Retry-After.'),
  ORDER_DEADLINE_SECONDS: z.coerce.number().int().min(5).default(900).describe('Time an order\'s saga has to finish; past it the watchdog cancels the order (reason `timeout`) and gives money and stock back.'),
  SAGA_STALL_SECONDS: z.coerce.number().int().min(1).default(30).describe('A pending order with no progress for this long has its saga nudged (its first event republished; every step is idempotent).'),
  OUTBOX_SWEEP_AFTER_SECONDS: z.coerce.number().int().min(0).default(5).describe('The outbox sweeper publishes rows left unpublished for longer than this.'),
  IDEMPOTENCY_KEY_TTL_HOURS: z.coerce.number().int().min(24).default(24).describe('How long an Idempotency-Key and its stored response are kept (at least 24 h).'),
  CORS_ALLOWED_ORIGINS: z.string().default('').describe('Origins a browser may call the API from, comma-separated (`https://shop.example.com`); empty allows none.'),
  RATE_LIMIT_READ_PER_MINUTE: z.coerce.number().int().min(1).default(300).describe('Reads one caller (or one IP without a token) may make per minute.'),
  RATE_LIMIT_ORDER_PER_MINUTE: z.coerce.number().int().min(1).default(10).describe('Orders one customer (or one IP) may place per minute.'),
  RATE_LIMIT_ADMIN_WRITE_PER_MINUTE: z.coerce.number().int().min(1).default(120).describe('Admin writes one admin (or one IP) may make per minute.'),
  RATE_LIMIT_IP_FACTOR: z.coerce.number().int().min(1).default(5).describe('Each IP may make this many times a caller\'s quota (many customers can share an IP).'),
  CLIENT_IP_FROM_RIGHT: z.coerce.number().int().min(0).max(10).default(0).describe('Where the client\'s address is for per-IP limits: 0 = the connection\'s peer; k = the k-th entry from the right of X-Forwarded-For (2 behind Google\'s external Application Load Balancer, which appends `<client>,<balancer>`). Entries further left are the client\'s own claims and are never trusted.'),
  MAX_OPEN_ORDERS_PER_CUSTOMER: z.coerce.number().int().min(1).default(5).describe('Orders one customer may have still PENDING at once; one more answers 409 too-many-open-orders.'),
  MAX_SMS_PER_CUSTOMER_PER_DAY: z.coerce.number().int().min(0).default(10).describe('Text messages sent to one customer per day; past it notifications go by email only.'),
  FAULTS: z.string().optional().describe('Fault injection for tests, demos and the benchmark, as JSON (see docs/reliability.md); refused unless the Pub/Sub emulator is in use.'),
  TELEMETRY_ENDPOINT: z.string().url().optional().describe('OTLP/HTTP base URL that spans and metrics go to: `https://telemetry.googleapis.com` in production (Cloud Trace and Cloud Monitoring), the local stack\'s collector otherwise; unset sends nothing.'),
  TRACE_QUERY_URL: z.string().url().optional().describe('Where the admin API reads an order\'s spans back: the local stack\'s collector; unset reads Cloud Trace.'),
  TRACE_SAMPLE_RATIO: z.coerce.number().min(0).max(1).default(1).describe('Share of new traces recorded (a trace started upstream keeps its caller\'s decision).'),
  METRICS_EXPORT_INTERVAL_MS: z.coerce.number().int().min(1000).default(60_000).describe('How often metrics are exported (Cloud Monitoring takes a point per series at most every 5 s).'),
  TELEMETRY_FLUSH_EACH_REQUEST: flag.default(false).describe('Export spans and metrics before a step acknowledges its message or a job answers (production: Cloud Run throttles CPU between requests); locally a timer exports every 500 ms.'),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info').describe('Least severe log level written.'),
});

export type Config = Readonly<z.infer<typeof Env>>;

/** Fault injection is for local stacks only: a configuration that asks for it against real Pub/Sub is refused. */
const refuseFaultsInProduction = (env: Record<string, string | undefined>) =>
  env.FAULTS && !env.PUBSUB_EMULATOR_HOST
    ? ['FAULTS: fault injection is refused outside the local emulators (PUBSUB_EMULATOR_HOST is not set); unset FAULTS']
    : [];

/** Parses an environment into a frozen, typed configuration; throws a message naming each bad variable. */
export function parseConfig(env: Record<string, string | undefined>): Config {
  const result = Env.safeParse(env);
  const refused = refuseFaultsInProduction(env);
  if (!result.success || refused.length > 0) {
    const problems = [...(result.success ? [] : [z.prettifyError(result.error)]), ...refused.map((r) => `✖ ${r}`)];
    throw new Error(`Invalid configuration, fix these environment variables:\n${problems.join('\n')}`);
  }
  return Object.freeze(result.data);
}

let cached: Config | undefined;

/** The configuration of this process, parsed from `process.env` on first use. */
export function config(): Config {
  cached ??= parseConfig(process.env);
  return cached;
}
