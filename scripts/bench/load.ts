import type { Message, PubSub } from '@google-cloud/pubsub';
import { percentile } from './stats.ts';

/** Latency and throughput of one load level. */
export interface Result {
  concurrency: number;
  sagas: number;
  p50Ms: number;
  p99Ms: number;
  perSecond: number;
}

/**
 * Runs `count` operations `concurrency` at a time; each resolves to its own latency in ms, or to null when it failed
 * (not counted in the latencies). One at a time, each operation starts after a random pause of up to 100 ms: the
 * emulator polls idle push subscriptions every 100 ms, and back-to-back chains would otherwise lock into one phase of
 * that cycle and measure the phase, not the chain. `seconds` leaves those pauses out.
 */
export async function drive(concurrency: number, count: number, once: (i: number) => Promise<number | null>): Promise<{ latencies: number[]; failed: number; seconds: number }> {
  const latencies: number[] = [];
  let failed = 0;
  let next = 0;
  let paused = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        if (concurrency === 1) {
          const pause = Math.random() * 100;
          paused += pause;
          await new Promise((r) => setTimeout(r, pause));
        }
        const latency = await once(next++);
        if (latency === null) failed++;
        else latencies.push(latency);
      }
    }),
  );
  return { latencies, failed, seconds: (performance.now() - started - paused) / 1000 };
}

/** Latency and throughput of `count` operations run by `drive`, each resolving to its latency in ms. */
export async function load(concurrency: number, count: number, once: (i: number) => Promise<number>): Promise<Result> {
  const { latencies, seconds } = await drive(concurrency, count, once);
  return {
    concurrency,
    sagas: count,
    p50Ms: Math.round(percentile(latencies, 50)),
    p99Ms: Math.round(percentile(latencies, 99)),
    perSecond: Math.round((count / seconds) * 10) / 10,
  };
}

/** Resolves when a message with `key` arrives on a pull subscription. */
export function arrivals(pubsub: PubSub, subscription: string, keyOf: (m: Message) => string | undefined) {
  const waiting = new Map<string, (at: number) => void>();
  const early = new Map<string, number>();
  const sub = pubsub.subscription(subscription, { flowControl: { maxMessages: 2000 } });
  sub.on('message', (m: Message) => {
    const at = performance.now();
    m.ack();
    const key = keyOf(m);
    if (!key) return;
    const resolveWait = waiting.get(key);
    if (resolveWait) {
      waiting.delete(key);
      resolveWait(at);
    } else if (!early.has(key)) early.set(key, at);
  });
  return {
    wait(key: string): Promise<number> {
      const at = early.get(key);
      if (at !== undefined) return Promise.resolve(at);
      return new Promise((resolveWait, reject) => {
        const timer = setTimeout(() => reject(new Error(`no arrival for ${key} within 60 s; see .data/bench/logs`)), 60_000);
        waiting.set(key, (t) => {
          clearTimeout(timer);
          resolveWait(t);
        });
      });
    },
    close: () => sub.close(),
  };
}

