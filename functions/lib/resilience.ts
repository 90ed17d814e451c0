import {
  BrokenCircuitError,
  circuitBreaker,
  ConsecutiveBreaker,
  ExponentialBackoff,
  handleWhen,
  retry,
  TaskCancelledError,
  timeout,
  TimeoutStrategy,
  wrap,
} from 'cockatiel';
import { inSpan, SpanKind } from './telemetry.ts';

/**
 * A dependency could not answer in time (down, hanging, circuit open). Transient by definition: a saga step that
 * throws it is redelivered by Pub/Sub, an HTTP request gets `503` with `Retry-After`.
 */
export class DependencyUnavailable extends Error {
  constructor(
    readonly dependency: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${dependency}: ${message}`, options);
    this.name = 'DependencyUnavailable';
  }
}

/** Runs calls to one dependency with a timeout per attempt, bounded retries with jittered backoff, and a circuit breaker. */
export interface CallPolicy {
  /** Runs `work`, giving it a signal that aborts at the attempt's timeout or when `signal` aborts. */
  execute<T>(work: (signal: AbortSignal) => Promise<T>, signal?: AbortSignal): Promise<T>;
}

/** How calls to a dependency are bounded. */
export interface CallPolicyOptions {
  /** Name used in errors and logs (`payment provider`, `smtp`). */
  dependency: string;
  /** Longest one attempt may take. */
  timeoutMs: number;
  /** Attempts in all (1 = no retry). */
  attempts: number;
  /** Errors worth retrying and counting against the breaker; anything else is an answer and passes through. */
  isTransient: (err: unknown) => boolean;
  /** Consecutive transient failures that open the circuit, and how long it stays open before one trial call. */
  breaker: { consecutiveFailures: number; halfOpenAfterMs: number };
  /** First backoff; later ones grow exponentially with decorrelated jitter up to 8× this. */
  backoffMs?: number;
}

/**
 * Creates a cockatiel policy: retry(circuit breaker(timeout(work))). A dead dependency fails fast once the circuit
 * is open, so the caller (and Pub/Sub's backoff) does the waiting; the worst case is bounded by
 * attempts × timeoutMs + backoff, which callers keep well inside their own deadline.
 */
export function createCallPolicy(options: CallPolicyOptions): CallPolicy {
  const transient = (err: unknown) => err instanceof TaskCancelledError || options.isTransient(err);
  const backoff = options.backoffMs ?? 100;
  const policy = wrap(
    retry(handleWhen(transient), {
      maxAttempts: Math.max(0, options.attempts - 1),
      backoff: new ExponentialBackoff({ initialDelay: backoff, maxDelay: backoff * 8 }),
    }),
    circuitBreaker(handleWhen(transient), {
      halfOpenAfter: options.breaker.halfOpenAfterMs,
      breaker: new ConsecutiveBreaker(options.breaker.consecutiveFailures),
    }),
    timeout(options.timeoutMs, TimeoutStrategy.Aggressive),
  );
  return {
    async execute(work, signal) {
      try {
        // Each attempt is a client span of the current trace: retries and timeouts show as the spans they are.
        return await policy.execute(
          ({ signal: attemptSignal }) => inSpan(`${options.dependency} call`, { kind: SpanKind.CLIENT, attributes: { 'peer.service': options.dependency } }, () => work(attemptSignal)),
          signal,
        );
      } catch (err) {
        if (err instanceof BrokenCircuitError) {
          throw new DependencyUnavailable(options.dependency, 'circuit open after repeated failures; not calling it for now', { cause: err });
        }
        if (err instanceof TaskCancelledError) {
          throw new DependencyUnavailable(options.dependency, signal?.aborted ? 'the caller’s deadline passed' : `no answer within ${options.timeoutMs} ms`, { cause: err });
        }
        if (options.isTransient(err)) {
          throw new DependencyUnavailable(options.dependency, (err as Error).message ?? String(err), { cause: err });
        }
        throw err;
      }
    },
  };
}

/** Resolves or rejects with `work`, or rejects with DependencyUnavailable after `ms` (the work itself is left to finish). */
export async function withDeadline<T>(work: Promise<T>, ms: number, dependency: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DependencyUnavailable(dependency, `no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** Error codes of a database or a gRPC service that is down or unreachable (as opposed to a bad request). */
const outageCodes = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ENOTFOUND',
  // PostgreSQL: connection exceptions, shutting down, cannot connect now, too many connections, query cancelled by timeout.
  '08000', '08001', '08003', '08004', '08006', '57P01', '57P02', '57P03', '53300', '57014',
]);
/** gRPC status codes UNAVAILABLE, DEADLINE_EXCEEDED and CANCELLED (a call cut short by our own deadline). */
const grpcOutage = new Set([14, 4, 1]);

/**
 * True when an error means a dependency is down or slow rather than that the request is wrong: our own deadlines,
 * knex failing to get a connection, connection errors, and gRPC's unavailable or deadline exceeded.
 */
export function isDependencyOutage(err: unknown): boolean {
  if (err instanceof DependencyUnavailable) return true;
  const e = err as { name?: string; code?: string | number; message?: string } | null;
  if (!e) return false;
  if (e.name === 'KnexTimeoutError') return true;
  if (typeof e.code === 'string' && outageCodes.has(e.code)) return true;
  if (typeof e.code === 'number' && grpcOutage.has(e.code)) return true;
  return /Connection terminated|timeout exceeded when trying to connect|Query read timeout/i.test(e.message ?? '');
}
