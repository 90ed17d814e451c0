import { pino, type Logger as PinoLogger } from 'pino';
import { config } from './config.ts';
import { logTraceFields } from './telemetry.ts';

const severity: Record<string, string> = {
  trace: 'DEBUG',
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARNING',
  error: 'ERROR',
  fatal: 'CRITICAL',
  alert: 'ALERT',
};

/** Severity above CRITICAL for what a person must act on now (money the provider refuses to give back). */
const customLevels = { alert: 65 } as const;

export type Logger = PinoLogger<keyof typeof customLevels>;

/** Creates a logger that writes Cloud Logging structured JSON lines (severity, message, time, and the current trace and span). */
export function createLogger(options: { level?: string; name?: string } = {}): Logger {
  return pino<keyof typeof customLevels>({
    level: options.level ?? config().LOG_LEVEL,
    customLevels,
    messageKey: 'message',
    base: options.name ? { function: options.name } : {},
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: {
      level: (label) => ({ severity: severity[label] ?? 'DEFAULT' }),
    },
    errorKey: 'err',
    mixin: logTraceFields,
  });
}

let root: Logger | undefined;

/** The process-wide logger, created on first use. */
export function logger(): Logger {
  root ??= createLogger({ name: process.env.FUNCTION_TARGET ?? process.env.K_SERVICE });
  return root;
}

