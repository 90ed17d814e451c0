import type { Response } from '@google-cloud/functions-framework';
import type { Redis } from 'ioredis';
import type { Knex } from 'knex';
import { RateLimiterMemory, RateLimiterPostgres, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { LimitClass } from '../../../schemas/index.ts';
import { redisClient } from '../cache.ts';
import { config } from '../config.ts';
import { db } from '../db/knex.ts';
import { HttpProblem } from './problem.ts';

/** The window every quota counts over. */
export const RATE_WINDOW_SECONDS = 60;

/** Requests per window for each bucket, per caller; an IP gets `ipFactor` times as many. */
export interface RateQuotas {
  perMinute: Record<LimitClass, number>;
  ipFactor: number;
}

/** Counts a request against its caller's and its IP's quotas; throws `429` when either is spent. */
export interface RateLimits {
  consume(request: { limit: LimitClass; caller: string | null; ip: string; res: Response }): Promise<void>;
}

/** Where the counters live: shared by all instances of all functions (Redis or PostgreSQL), or one process (tests). */
export type RateStore = { kind: 'redis'; client: Redis } | { kind: 'postgres'; db: Knex } | { kind: 'memory' };

/** The table the PostgreSQL store keeps counters in (created by a migration). */
export const RATE_LIMIT_TABLE = 'rate_limits';

/**
 * Fixed-window quotas per caller and per IP, for reads, order creation and admin writes (rate-limiter-flexible),
 * answered with the IETF `RateLimit` and `RateLimit-Policy` headers. When the shared store is unreachable, each
 * instance counts in memory instead (the library's insurance limiter): limits hold roughly, requests still flow.
 */
export function createRateLimits(options: { store: RateStore; quotas: RateQuotas; keyPrefix?: string }): RateLimits {
  const limiters = new Map<string, RateLimiterAbstract>();
  const limiterOf = (bucket: LimitClass, who: 'caller' | 'ip') => {
    const name = `${bucket}-${who}`;
    let limiter = limiters.get(name);
    if (!limiter) {
      const points = options.quotas.perMinute[bucket]! * (who === 'ip' ? options.quotas.ipFactor : 1);
      const common = { keyPrefix: `${options.keyPrefix ?? 'rl'}:${name}`, points, duration: RATE_WINDOW_SECONDS };
      const insuranceLimiter = new RateLimiterMemory(common);
      const store = options.store;
      limiter =
        store.kind === 'redis'
          ? new RateLimiterRedis({ ...common, storeClient: store.client, insuranceLimiter, rejectIfRedisNotReady: true })
          : store.kind === 'postgres'
            ? new RateLimiterPostgres({ ...common, storeClient: store.db, storeType: 'knex', tableName: RATE_LIMIT_TABLE, tableCreated: true, insuranceLimiter })
            : new RateLimiterMemory(common);
      limiters.set(name, limiter);
    }
    return limiter;
  };

  const store = options.store;
  return {
    async consume({ limit, caller, ip, res }) {
      // A new instance's first requests would otherwise be counted in memory while Redis is still connecting.
      if (store.kind === 'redis') await firstConnection(store.client, 500);
      const checks = [...(caller ? [{ who: 'caller' as const, key: caller }] : []), { who: 'ip' as const, key: ip }];
      const outcomes = await Promise.all(
        checks.map(async ({ who, key }) => {
          const limiter = limiterOf(limit, who);
          try {
            return { who, limiter, res: await limiter.consume(key), spent: false };
          } catch (err) {
            if (err instanceof RateLimiterRes) return { who, limiter, res: err, spent: true };
            throw err;
          }
        }),
      );
      // The headers describe the quota closest to running out (the spent one, if any).
      const tightest = outcomes.find((o) => o.spent) ?? outcomes.reduce((a, b) => (b.res.remainingPoints < a.res.remainingPoints ? b : a));
      const policy = `${limit}-${tightest.who}`;
      const reset = Math.max(1, Math.ceil(tightest.res.msBeforeNext / 1000));
      res.set({
        'RateLimit-Policy': `"${policy}";q=${tightest.limiter.points};w=${RATE_WINDOW_SECONDS}`,
        RateLimit: `"${policy}";r=${Math.max(0, tightest.res.remainingPoints)};t=${reset}`,
      });
      if (tightest.spent) {
        throw HttpProblem.of(
          'rate-limited',
          `${tightest.who === 'caller' ? 'you have' : 'your network has'} used the ${limit} quota of ${tightest.limiter.points} requests per ${RATE_WINDOW_SECONDS} s; retry in ${reset} s`,
          {},
          { 'Retry-After': String(reset) },
        );
      }
    },
  };
}

/** Waits (a bounded time) for a Redis client that is still making its first connection; a down one is not waited for. */
function firstConnection(client: Redis, ms: number): Promise<void> {
  if (client.status !== 'wait' && client.status !== 'connecting' && client.status !== 'connect') return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    client.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** The quotas the configuration sets. */
export const quotasFrom = (cfg: {
  RATE_LIMIT_READ_PER_MINUTE: number;
  RATE_LIMIT_ORDER_PER_MINUTE: number;
  RATE_LIMIT_ADMIN_WRITE_PER_MINUTE: number;
  RATE_LIMIT_IP_FACTOR: number;
}): RateQuotas => ({
  perMinute: { read: cfg.RATE_LIMIT_READ_PER_MINUTE, order: cfg.RATE_LIMIT_ORDER_PER_MINUTE, 'admin-write': cfg.RATE_LIMIT_ADMIN_WRITE_PER_MINUTE },
  ipFactor: cfg.RATE_LIMIT_IP_FACTOR,
});

let instance: RateLimits | undefined;

/** The process-wide rate limits: counted in Redis when REDIS_URL is set, else in PostgreSQL, with the configured quotas. */
export function rateLimits(): RateLimits {
  const cfg = config();
  const redis = redisClient();
  instance ??= createRateLimits({
    store: redis ? { kind: 'redis', client: redis } : { kind: 'postgres', db: db() },
    quotas: quotasFrom(cfg),
    keyPrefix: 'rl',
  });
  return instance;
}
