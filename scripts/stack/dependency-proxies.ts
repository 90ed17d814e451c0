import { startFaultControl, startFaultProxy, type FaultProxy } from './fault-proxy.ts';

/** The dependencies the functions reach through a fault proxy, as named on the fault control server. */
export const faultTargets = ['pubsub', 'firestore', 'postgres', 'smtp', 'payment', 'sms'] as const;
export type FaultTarget = (typeof faultTargets)[number];

/** Which environment variable carries each dependency's address. */
const variableOf: Record<FaultTarget, string> = {
  pubsub: 'PUBSUB_EMULATOR_HOST',
  firestore: 'FIRESTORE_EMULATOR_HOST',
  postgres: 'DATABASE_URL',
  smtp: 'SMTP_URL',
  payment: 'PAYMENT_PROVIDER_URL',
  sms: 'SMS_PROVIDER_URL',
};

/** `host:port` of a `host:port` or URL value (PostgreSQL's default port when a URL has none). */
export function hostPortOf(value: string): { host: string; port: number } {
  if (!value.includes('://')) {
    const [host, port] = [value.slice(0, value.lastIndexOf(':')), Number(value.slice(value.lastIndexOf(':') + 1))];
    return { host, port };
  }
  const url = new URL(value);
  const defaults: Record<string, number> = { 'postgres:': 5432, 'postgresql:': 5432, 'smtp:': 25, 'smtps:': 465, 'http:': 80, 'https:': 443 };
  return { host: url.hostname, port: url.port ? Number(url.port) : defaults[url.protocol]! };
}

/** The same address with its host and port replaced by 127.0.0.1:port, keeping user, path and query. */
function pointedAt(value: string, port: number): string {
  if (!value.includes('://')) return `127.0.0.1:${port}`;
  const url = new URL(value);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  const text = url.toString();
  // URL adds a "/" to an http URL without a path; clients append their own paths to these base URLs.
  return text.endsWith('/') && !value.endsWith('/') ? text.slice(0, -1) : text;
}

/** The functions' environment: the direct one with every proxied dependency's address pointed at its proxy. */
export function proxiedEnv(direct: Record<string, string>, proxyPorts: Record<FaultTarget, number>): Record<string, string> {
  const env = { ...direct };
  for (const target of faultTargets) {
    const value = direct[variableOf[target]];
    if (value === undefined) throw new Error(`${variableOf[target]} is missing from the stack's environment; it is needed to proxy ${target}`);
    env[variableOf[target]] = pointedAt(value, proxyPorts[target]);
  }
  return env;
}

/** Starts a fault proxy per dependency and the control server for all of them. */
export async function startDependencyProxies(options: {
  targets: Record<FaultTarget, { host: string; port: number }>;
  controlPort: number;
}): Promise<{ proxies: Record<FaultTarget, FaultProxy>; url: string; close(): Promise<void> }> {
  const started = await Promise.allSettled(faultTargets.map((name) => startFaultProxy({ name, target: options.targets[name] })));
  const proxies = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = started.find((r) => r.status === 'rejected');
  let control: Awaited<ReturnType<typeof startFaultControl>> | undefined;
  try {
    if (failed) throw failed.reason;
    control = await startFaultControl({ port: options.controlPort, proxies });
  } catch (err) {
    await Promise.all(proxies.map((p) => p.close()));
    throw err;
  }
  return {
    proxies: Object.fromEntries(proxies.map((p) => [p.name, p])) as Record<FaultTarget, FaultProxy>,
    url: control.url,
    async close() {
      await control.close();
      await Promise.all(proxies.map((p) => p.close()));
    },
  };
}
