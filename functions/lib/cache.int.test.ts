import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { unique } from '../../test/support/saga.ts';
import { createMemoryCache, createRedisCache, type ReadCache } from './cache.ts';
import { listening } from '../../scripts/stack/process.ts';

const redisUp = await listening(6379);
const redis = redisUp ? new Redis('redis://127.0.0.1:6379', { keyPrefix: `${unique('test')}:` }) : null;
afterAll(() => redis?.quit());

const kinds: [string, () => ReadCache][] = [['memory', () => createMemoryCache({ max: 100 })]];
if (redis) kinds.push(['redis', () => createRedisCache(redis)]);

describe.each(kinds)('the %s read cache', (_kind, make) => {
  it('when a value is set, then it reads back until deleted', async () => {
    const cache = make();
    await cache.set('a', { n: 1 }, 60);
    expect(await cache.get('a')).toEqual({ n: 1 });
    await cache.delete(['a', 'missing']);
    expect(await cache.get('a')).toBeUndefined();
  });

  it('when the time to live passes, then the value is gone', async () => {
    const cache = make();
    await cache.set('b', 'x', 1);
    await new Promise((r) => setTimeout(r, 1100));
    expect(await cache.get('b')).toBeUndefined();
  });
});

describe('the Redis read cache when Redis is unreachable', () => {
  it('when Redis does not answer, then reads miss and writes are dropped instead of failing', async () => {
    const down = new Redis('redis://127.0.0.1:1', { maxRetriesPerRequest: 0, enableOfflineQueue: false, lazyConnect: true, retryStrategy: () => null });
    const cache = createRedisCache(down);
    await expect(cache.set('k', 1, 10)).resolves.toBeUndefined();
    await expect(cache.get('k')).resolves.toBeUndefined();
    down.disconnect();
  });
});
