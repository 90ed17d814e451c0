import { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import { config } from './config.ts';

/** A small key → JSON cache for reads; every method may fail softly (a cache is never the source of truth). */
export interface ReadCache {
  readonly kind: 'redis' | 'memory';
  get<T>(key: string): Promise<T | undefined>;
  set(key: string, value: unknown, ttlSeconds: number): Promise<void>;
  delete(keys: string[]): Promise<void>;
}

/** An in-process LRU cache: each function instance has its own. */
export function createMemoryCache(options: { max: number }): ReadCache {
  const lru = new LRUCache<string, { json: string }>({ max: options.max });
  return {
    kind: 'memory',
    async get<T>(key: string) {
      const hit = lru.get(key);
      return hit ? (JSON.parse(hit.json) as T) : undefined;
    },
    async set(key, value, ttlSeconds) {
      lru.set(key, { json: JSON.stringify(value) }, { ttl: ttlSeconds * 1000 });
    },
    async delete(keys) {
      for (const key of keys) lru.delete(key);
    },
  };
}

/** A Redis (Memorystore) cache shared by all instances; errors are swallowed into misses so reads keep working. */
export function createRedisCache(redis: Redis): ReadCache {
  return {
    kind: 'redis',
    async get<T>(key: string) {
      const json = await redis.get(key).catch(() => null);
      return json === null ? undefined : (JSON.parse(json) as T);
    },
    async set(key, value, ttlSeconds) {
      await redis.set(key, JSON.stringify(value), 'EX', ttlSeconds).catch(() => undefined);
    },
    async delete(keys) {
      if (keys.length > 0) await redis.del(...keys).catch(() => undefined);
    },
  };
}

let instance: ReadCache | undefined;
let redis: Redis | null | undefined;

/** The process-wide Redis (Memorystore) client when REDIS_URL is set, else null; commands fail fast while it is down. */
export function redisClient(): Redis | null {
  const url = config().REDIS_URL;
  redis ??= url
    ? new Redis(url, { keyPrefix: `${config().GOOGLE_CLOUD_PROJECT}:`, maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 1000 })
    : null;
  return redis;
}

/** The process-wide read cache: Redis when REDIS_URL is set, else in-process. */
export function readCache(): ReadCache {
  const client = redisClient();
  instance ??= client ? createRedisCache(client) : createMemoryCache({ max: 10_000 });
  return instance;
}
