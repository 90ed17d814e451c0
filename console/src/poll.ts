import { useEffect, useRef, useState } from 'preact/hooks';

/**
 * Reads `load` now and then every `everyMs` while the page is open (a new order shows within a second), keeping the
 * last answer; `refresh` reads at once (after an action).
 */
export function usePoll<T>(load: () => Promise<T>, everyMs: number, deps: unknown[]): { value: T | undefined; error: string | null; refresh: () => void } {
  // A value read for other deps (the order opened before this one) is never shown as this one's.
  const key = JSON.stringify(deps);
  const [read, setRead] = useState<{ key: string; value: T } | undefined>(undefined);
  const [failed, setFailed] = useState<{ key: string; message: string } | null>(null);
  const [tick, setTick] = useState(0);
  const latest = useRef(load);
  latest.current = load;
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      try {
        const next = await latest.current();
        if (!stopped) {
          setRead({ key, value: next });
          setFailed(null);
        }
      } catch (err) {
        if (!stopped) setFailed({ key, message: (err as Error).message });
      }
      if (!stopped) timer = setTimeout(poll, everyMs);
    };
    void poll();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [...deps, tick, everyMs]);
  return {
    value: read?.key === key ? read.value : undefined,
    error: failed?.key === key ? failed.message : null,
    refresh: () => setTick((t) => t + 1),
  };
}
