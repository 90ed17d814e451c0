import { z } from 'zod';

const flag = z.enum(['true', 'false']).transform((v) => v === 'true');

const Env = z.object({
  /** Google Cloud project that owns the topics and the Firestore database. */
  GOOGLE_CLOUD_PROJECT: z.string().min(1).default('saga-commerce-local'),
  /** PostgreSQL URL; ignored when INSTANCE_CONNECTION_NAME is set. */
  DATABASE_URL: z.string().url().default('postgres://postgres@127.0.0.1:5432/saga'),
  /** Cloud SQL instance (`project:region:instance`); when set, connect through the Cloud SQL connector. */
  INSTANCE_CONNECTION_NAME: z.string().optional(),
  /** Database user for the Cloud SQL connector (the service account's IAM user with DB_IAM_AUTH). */
  DB_USER: z.string().default('postgres'),
  /** Database name for the Cloud SQL connector. */
  DB_NAME: z.string().default('saga'),
  /** IP type the Cloud SQL connector dials. */
  DB_IP_TYPE: z.enum(['PUBLIC', 'PRIVATE', 'PSC']).default('PRIVATE'),
  /** Authenticate to Cloud SQL with the runtime service account instead of a password. */
  DB_IAM_AUTH: flag.default(true),
  /** Largest connection pool per function instance. */
  DB_POOL_MAX: z.coerce.number().int().min(1).max(100).default(5),
  /** Issuer (`iss`) that ID tokens must carry. */
  AUTH_ISSUER: z.string().min(1).default('http://127.0.0.1:8080/dev-issuer'),
  /** Audience (`aud`) that ID tokens must carry. */
  AUTH_AUDIENCE: z.string().min(1).default('saga-commerce-local'),
  /** URL of the issuer's signing keys as a JWK set. */
  AUTH_JWKS_URL: z.string().url().default('http://127.0.0.1:8080/dev-issuer/jwks.json'),
  /** Base URL of the payment provider's API. */
  PAYMENT_PROVIDER_URL: z.string().url().default('http://127.0.0.1:8090'),
  /** Give up on one payment provider call after this long; the message is retried. */
  PAYMENT_PROVIDER_TIMEOUT_MS: z.coerce.number().int().positive().default(5000),
  /** SMTP server for email, as `smtp://host:port` or `smtps://user:pass@host:port`. */
  SMTP_URL: z.string().url().default('smtp://127.0.0.1:1025'),
  /** Sender of customer email. */
  MAIL_FROM: z.string().min(3).default('Saga Commerce <orders@saga-commerce.dev>'),
  /** Base URL of the SMS provider's API. */
  SMS_PROVIDER_URL: z.string().url().default('http://127.0.0.1:8091'),
  /** A saga step that takes longer than this fails and is redelivered; keep it below the ack deadline. */
  HANDLER_TIMEOUT_MS: z.coerce.number().int().positive().default(20_000),
  /** Least severe log level written. */
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
});

export type Config = Readonly<z.infer<typeof Env>>;

/** Parses an environment into a frozen, typed configuration; throws a message naming each bad variable. */
export function parseConfig(env: Record<string, string | undefined>): Config {
  const result = Env.safeParse(env);
  if (!result.success) {
    throw new Error(`Invalid configuration, fix these environment variables:\n${z.prettifyError(result.error)}`);
  }
  return Object.freeze(result.data);
}

let cached: Config | undefined;

/** The configuration of this process, parsed from `process.env` on first use. */
export function config(): Config {
  cached ??= parseConfig(process.env);
  return cached;
}
