import { z } from 'zod';

const flag = z.enum(['true', 'false']).transform((v) => v === 'true');

/** Every environment variable the functions read, with its default and what it does. */
export const Env = z.object({
  GOOGLE_CLOUD_PROJECT: z.string().min(1).default('saga-commerce-local').describe('Google Cloud project that owns the topics and the Firestore database.'),
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
  PAYMENT_PROVIDER_URL: z.string().url().default('http://127.0.0.1:8090').describe('Base URL of the payment provider\'s API.'),
  PAYMENT_PROVIDER_TIMEOUT_MS: z.coerce.number().int().positive().default(5000).describe('Give up on one payment provider call after this long; the message is retried.'),
  SMTP_URL: z.string().url().default('smtp://127.0.0.1:1025').describe('SMTP server for email, as `smtp://host:port` or `smtps://user:pass@host:port`.'),
  MAIL_FROM: z.string().min(3).default('Saga Commerce <orders@saga-commerce.dev>').describe('Sender of customer email.'),
  SMS_PROVIDER_URL: z.string().url().default('http://127.0.0.1:8091').describe('Base URL of the SMS provider\'s API.'),
  IMAGES_BUCKET: z.string().min(3).default('saga-commerce-local-images').describe('Cloud Storage bucket for product images.'),
  IMAGES_PUBLIC_URL: z.string().url().default('https://storage.googleapis.com').describe('Base URL product image URLs start with (`<base>/<bucket>/<object>`); a CDN in front of the bucket, or the local storage endpoint.'),
  REDIS_URL: z.string().url().optional().describe('Redis (Memorystore) for cached catalog reads, as `redis://host:6379`; without it each instance caches in memory.'),
  HANDLER_TIMEOUT_MS: z.coerce.number().int().positive().default(20_000).describe('A saga step that takes longer than this fails and is redelivered; keep it below the ack deadline.'),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info').describe('Least severe log level written.'),
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
