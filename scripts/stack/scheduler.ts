import { createWriteStream } from 'node:fs';
import { scheduledFunctions, type functions, type FunctionName } from '../../schemas/index.ts';

/** The functions the topology table runs on a schedule. */
export type ScheduledFunctionName = {
  [K in FunctionName]: (typeof functions)[K]['trigger'] extends 'schedule' ? K : never;
}[FunctionName];

/** Seconds between calls per scheduled function; null means never (a test calls it itself). */
export type ScheduleOverrides = Partial<Record<ScheduledFunctionName, number | null>>;

/** One job of the local scheduler: POST `{}` to `url` every `everySeconds`. */
export interface ScheduledJob {
  name: string;
  url: string;
  everySeconds: number;
}

/** The jobs of the topology table's scheduled functions, at `localEverySeconds` unless `overrides` says otherwise. */
export function scheduledJobs(urlOf: (fn: FunctionName) => string, overrides: ScheduleOverrides = {}): ScheduledJob[] {
  for (const [name, seconds] of Object.entries(overrides)) {
    if (!scheduledFunctions().some((s) => s.name === name)) {
      throw new Error(`schedule override for "${name}", which is not a scheduled function; scheduled are: ${scheduledFunctions().map((s) => s.name).join(', ')}`);
    }
    if (seconds !== null && !(typeof seconds === 'number' && seconds > 0)) {
      throw new Error(`schedule override for ${name} must be a number of seconds above 0, or null for never; got ${JSON.stringify(seconds)}`);
    }
  }
  return scheduledFunctions().flatMap(({ name, localEverySeconds }) => {
    const everySeconds = name in overrides ? overrides[name as ScheduledFunctionName] : localEverySeconds;
    return everySeconds === null || everySeconds === undefined ? [] : [{ name, url: urlOf(name), everySeconds }];
  });
}

/**
 * Calls each job as Cloud Scheduler calls an HTTP target (`POST` with body `{}` and `Content-Type: application/json`),
 * first one interval after the start. A tick that comes while the previous call of that job still runs is skipped; a
 * call that fails, answers non-2xx or takes longer than `timeoutMs` is written to `logFile` and nothing else happens.
 */
export function startScheduler(options: {
  jobs: readonly ScheduledJob[];
  logFile: string;
  timeoutMs?: number;
  /** Told after each call (for tests and progress). */
  onCall?: (call: { name: string; ok: boolean; status: number | null; ms: number }) => void;
}): { stop(): Promise<void> } {
  const log = createWriteStream(options.logFile, { flags: 'a' });
  const write = (line: string) => log.write(`${new Date().toISOString()} ${line}\n`);
  const timeoutMs = options.timeoutMs ?? 30_000;
  const stopped = new AbortController();
  const running = new Map<string, Promise<void>>();

  const call = async (job: ScheduledJob) => {
    const started = performance.now();
    let status: number | null = null;
    let problem: string | null = null;
    try {
      const res = await fetch(job.url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: '{}',
        signal: AbortSignal.any([stopped.signal, AbortSignal.timeout(timeoutMs)]),
      });
      status = res.status;
      const text = await res.text();
      if (!res.ok) problem = `answered ${res.status}: ${text.slice(0, 300).replace(/\s+/g, ' ')}`;
    } catch (err) {
      if (stopped.signal.aborted) return;
      problem = (err as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : `failed: ${describe(err)}`;
    }
    const ms = Math.round(performance.now() - started);
    if (problem) write(`${job.name} ${problem} (${ms} ms; next call in ${job.everySeconds} s)`);
    options.onCall?.({ name: job.name, ok: problem === null, status, ms });
  };

  const timers = options.jobs.map((job) =>
    setInterval(() => {
      if (running.has(job.name)) {
        write(`${job.name} skipped a tick: the previous call is still running`);
        return;
      }
      running.set(job.name, call(job).finally(() => running.delete(job.name)));
    }, job.everySeconds * 1000),
  );
  write(`scheduler started: ${options.jobs.map((j) => `${j.name} every ${j.everySeconds} s`).join(', ') || 'no jobs'}`);

  let stopping: Promise<void> | undefined;
  return {
    stop() {
      stopping ??= (async () => {
        timers.forEach(clearInterval);
        stopped.abort();
        await Promise.all(running.values());
        write('scheduler stopped');
        await new Promise((resolve) => log.end(resolve));
      })();
      return stopping;
    },
  };
}

/** An error's message with its cause (fetch hides ECONNREFUSED in `cause`). */
function describe(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause ? `${(err as Error).message} (${cause.code ?? cause.message})` : (err as Error).message;
}
