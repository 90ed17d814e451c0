/** Where the test stack runs, handed from the global setup to the tests. */
export interface StackInfo {
  project: string;
  api: string;
  mailWeb: string;
  payment: string;
  sms: string;
  storage: string;
  env: Record<string, string>;
  databaseUrl: string;
  issuerKeyFile: string;
  issuer: string;
  audience: string;
  logDir: string;
  smtpPort: number;
}

declare module 'vitest' {
  export interface ProvidedContext {
    stack: StackInfo;
  }
}
