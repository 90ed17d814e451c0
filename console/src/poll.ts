import { useEffect, useRef, useState } from 'preact/hooks';

/**
 * Reads `load` now and then every `everyMs` while the page is open (a new order shows within a second), keeping the
 * last answer; `refresh` reads at once (after an action).
 */
export function usePoll<T>(load: () => Promise<T>, everyMs: number, deps: unknown[]): { value: T | undefined; error: string | null; refresh: () => void } {
  const [value, setValue] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);
  const latest = useRef(load);
  latest.current = load;
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const read = async () => {
      try {
        const next = await latest.current();
        if (!stopped) {
          setValue(next);
          setError(null);
        }
      } catch (err) {
        if (!stopped) setError((err as Error).message);
      }
      if (!stopped) timer = setTimeout(read, everyMs);
    };
    void read();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [...deps, tick, everyMs]);
  return { value, error, refresh: () => setTick((t) => t + 1) };
}
