import type { FunctionName } from '../../schemas/index.ts';

/** Where the test stack runs, handed from the global setup to the tests. */
export interface StackInfo {
  project: string;
  api: string;
  mailWeb: string;
  payment: string;
  sms: string;
  storage: string;
  /** The fault control server: `faultControl(stack.faults).set('postgres', 'refuse')`, or `PUT /faults/<name>`. */
  faults: string;
  /** The telemetry collector: `GET /orders/{orderId}/trace`, `GET /metrics`. */
  telemetry: string;
  /** Each function's own URL (a scheduled function is called with `POST /` and body `{}`). */
  functionUrls: Record<FunctionName, string>;
  /** The environment the functions got: every dependency behind its fault proxy. */
  env: Record<string, string>;
  /** The same addresses without the proxies; the test process uses these, so its checks see through any fault. */
  directEnv: Record<string, string>;
  /** The database, reached directly. */
  databaseUrl: string;
  issuerKeyFile: string;
  issuer: string;
  audience: string;
  logDir: string;
  /** Holds `<function>.pid` of each running function (`readPidFile(stack.pidDir, fn)`); a killed one comes back with a new pid. */
  pidDir: string;
  smtpPort: number;
}

declare module 'vitest' {
  export interface ProvidedContext {
    stack: StackInfo;
  }
}
