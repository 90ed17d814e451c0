import { readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { serveOnLoopback } from './process.ts';

/**
 * `pass` forwards; `refuse` closes the listening socket, so connections are refused, and resets the open ones;
 * `hang` accepts connections but forwards no byte either way until the mode changes, like a paused process.
 */
export const faultModes = ['pass', 'refuse', 'hang'] as const;
export type FaultMode = (typeof faultModes)[number];

/** What the control server reports of one proxy. */
export interface FaultState {
  mode: FaultMode;
  /** Where the proxy listens, `127.0.0.1:port`. */
  listen: string;
  /** What it forwards to, `host:port`. */
  target: string;
  connections: number;
}

/** A TCP proxy in front of one dependency, whose behaviour a test or a person can change while it runs. */
export interface FaultProxy {
  name: string;
  port: number;
  readonly mode: FaultMode;
  state(): FaultState;
  setMode(mode: FaultMode): Promise<void>;
  /** Resets every open connection (both sides); returns how many there were. */
  resetConnections(): number;
  close(): Promise<void>;
}

interface Connection {
  client: net.Socket;
  upstream: net.Socket | null;
  /** Resumes forwarding after a hang. */
  resume(): void;
  /** Stops forwarding: nothing more is read from either side. */
  hold(): void;
}

/**
 * The lowest port the kernel hands out for outgoing connections. A proxy listens below it, so while it refuses (its
 * port unbound) no outgoing connection can take the port and keep it from listening again.
 */
function ephemeralPortsStart(): number {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || 32768;
  } catch {
    return 32768;
  }
}

const listenOn = (server: net.Server, port: number) =>
  new Promise<void>((resolve, reject) => {
    const failed = (err: Error) => reject(err);
    server.once('error', failed);
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => {
      server.off('error', failed);
      resolve();
    });
  });

/** Listens on a random free port from 10000 up to the ephemeral range. */
async function listenBelowEphemeral(server: net.Server): Promise<number> {
  const top = ephemeralPortsStart();
  const bottom = Math.min(10_000, top - 1000);
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = bottom + Math.floor(Math.random() * (top - bottom));
    try {
      await listenOn(server, port);
      return port;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    }
  }
  throw new Error(`found no free port from ${bottom} to ${top} for a fault proxy; free some ports and try again`);
}

/**
 * Moves bytes from one socket to the other while `flowing()` says so; otherwise holds them (and stops reading) until
 * `resume()`. End of input is forwarded as a half-close, in order with the bytes.
 */
function pump(from: net.Socket, to: net.Socket, flowing: () => boolean) {
  const held: (Buffer | null)[] = [];
  let blocked = false;
  const send = (chunk: Buffer | null) => {
    if (chunk === null) to.end();
    else if (!to.write(chunk)) {
      blocked = true;
      from.pause();
    }
  };
  from.on('data', (chunk: Buffer) => {
    if (flowing()) return send(chunk);
    held.push(chunk);
    from.pause();
  });
  from.on('end', () => (flowing() ? send(null) : held.push(null)));
  to.on('drain', () => {
    blocked = false;
    if (flowing()) from.resume();
  });
  return {
    resume() {
      for (const chunk of held.splice(0)) send(chunk);
      if (!blocked) from.resume();
    },
    hold() {
      from.pause();
    },
  };
}

/** Starts a proxy on 127.0.0.1 (`port`, or a free one below the ephemeral range) forwarding to `target`, in mode `pass`. */
export async function startFaultProxy(options: { name: string; target: { host: string; port: number }; port?: number }): Promise<FaultProxy> {
  const { name, target } = options;
  let mode: FaultMode = 'pass';
  let closed = false;
  const connections = new Set<Connection>();

  const open = (conn: Connection) => {
    const upstream = net.connect({ host: target.host, port: target.port, allowHalfOpen: true });
    conn.upstream = upstream;
    upstream.setNoDelay(true);
    upstream.on('error', () => undefined);
    // A normal close was already forwarded as a half-close, in order with the bytes; a failure is passed on as a reset.
    upstream.on('close', (hadError) => {
      if (hadError && !conn.client.destroyed) conn.client.resetAndDestroy();
    });
    upstream.once('connect', () => {
      const flowing = () => mode === 'pass';
      const up = pump(conn.client, upstream, flowing);
      const down = pump(upstream, conn.client, flowing);
      conn.resume = () => {
        up.resume();
        down.resume();
      };
      conn.hold = () => {
        up.hold();
        down.hold();
      };
      if (mode === 'pass') conn.resume();
      else conn.hold();
    });
  };

  // Paused on connect: a connection accepted during a hang is not even read from until the hang ends.
  const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, (client) => {
    client.on('error', () => undefined);
    if (mode === 'refuse' || closed) return client.resetAndDestroy();
    client.setNoDelay(true);
    const conn: Connection = {
      client,
      upstream: null,
      // Until the upstream connection is open, resuming means opening it.
      resume: () => {
        if (!conn.upstream) open(conn);
      },
      hold: () => undefined,
    };
    connections.add(conn);
    client.on('close', (hadError) => {
      connections.delete(conn);
      if (hadError) conn.upstream?.destroy();
    });
    if (mode === 'pass') open(conn);
  });

  let port = options.port ?? 0;
  if (port === 0) port = await listenBelowEphemeral(server);
  else await listenOn(server, port);

  const stopListening = () => new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));
  const listenAgain = async () => {
    // Something may hold the port for a moment (a connection of ours still closing); a few tries are enough.
    for (let attempt = 0; ; attempt++) {
      try {
        return await listenOn(server, port);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= 20) {
          throw new Error(`fault proxy ${name} cannot listen on port ${port} again (${(err as Error).message}); restart the stack`);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  };
  const resetConnections = () => {
    const all = [...connections];
    for (const conn of all) {
      conn.client.resetAndDestroy();
      conn.upstream?.destroy();
    }
    connections.clear();
    return all.length;
  };

  const applyMode = async (next: FaultMode) => {
    if (closed) throw new Error(`fault proxy ${name} is closed`);
    const previous = mode;
    mode = next;
    if (next === 'refuse') {
      resetConnections();
      await stopListening();
      return;
    }
    if (previous === 'refuse') await listenAgain();
    for (const conn of connections) {
      if (next === 'pass') conn.resume();
      else conn.hold();
    }
  };
  // One change at a time: a refuse that is still closing the port must finish before a pass listens again.
  let changes: Promise<unknown> = Promise.resolve();

  return {
    name,
    port,
    get mode() {
      return mode;
    },
    state: () => ({ mode, listen: `127.0.0.1:${port}`, target: `${target.host}:${target.port}`, connections: connections.size }),
    setMode(next) {
      const run = changes.then(() => applyMode(next));
      changes = run.catch(() => undefined);
      return run;
    },
    resetConnections,
    async close() {
      closed = true;
      resetConnections();
      await stopListening();
    },
  };
}

const sendJson = (res: http.ServerResponse, status: number, body: unknown) =>
  res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));

async function readJson(req: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? JSON.parse(text) : undefined;
}

/**
 * One HTTP server controlling the proxies of a stack: `GET /faults` lists them, `PUT /faults/<name>` with
 * `{ "mode": "hang" }` changes one (`PUT /faults` changes all), `POST /faults/<name>/reset` (or `/faults/reset`)
 * resets open connections.
 */
export async function startFaultControl(options: { port: number; proxies: readonly FaultProxy[] }): Promise<{ url: string; close(): Promise<void> }> {
  const byName = new Map(options.proxies.map((p) => [p.name, p]));
  const names = [...byName.keys()].join(', ');
  const states = () => Object.fromEntries(options.proxies.map((p) => [p.name, p.state()]));
  const server = http.createServer(async (req, res) => {
    const path = (req.url ?? '/').split('?')[0]!.replace(/\/+$/, '');
    const [, root, which, action] = path.split('/');
    if (root !== 'faults') return sendJson(res, 404, { error: `no route ${path}; use GET /faults, PUT /faults/<name>, POST /faults/<name>/reset` });
    const targets = which === undefined || which === 'reset' ? options.proxies : byName.has(which) ? [byName.get(which)!] : null;
    if (!targets) return sendJson(res, 404, { error: `no fault proxy named "${which}"; there are: ${names}` });
    const isReset = which === 'reset' || action === 'reset';
    try {
      if (req.method === 'GET' && !isReset) return sendJson(res, 200, which ? targets[0]!.state() : states());
      if (req.method === 'POST' && isReset) {
        return sendJson(res, 200, { reset: targets.reduce((sum, p) => sum + p.resetConnections(), 0) });
      }
      if (req.method === 'PUT' && !isReset && action === undefined) {
        let body: unknown;
        try {
          body = await readJson(req);
        } catch {
          return sendJson(res, 400, { error: 'the body is not JSON; send {"mode":"pass"|"refuse"|"hang"}' });
        }
        const mode = (body as { mode?: unknown } | undefined)?.mode;
        if (!faultModes.includes(mode as FaultMode)) {
          return sendJson(res, 400, { error: `mode must be one of ${faultModes.join(', ')}; got ${JSON.stringify(mode)}` });
        }
        await Promise.all(targets.map((p) => p.setMode(mode as FaultMode)));
        return sendJson(res, 200, which ? targets[0]!.state() : states());
      }
      return sendJson(res, 405, { error: `${req.method} ${path} is not supported; use GET /faults, PUT /faults/<name>, POST /faults/<name>/reset` });
    } catch (err) {
      return sendJson(res, 500, { error: (err as Error).message });
    }
  });
  return serveOnLoopback(server, options.port);
}

/** A client of a fault control server, for tests and scripts. */
export function faultControl(url: string) {
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${url}${path}`, {
      method,
      ...(body === undefined ? {} : { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(10_000),
    });
    const parsed = (await res.json()) as unknown;
    if (!res.ok) throw new Error(`fault control ${method} ${path} answered ${res.status}: ${(parsed as { error?: string }).error ?? JSON.stringify(parsed)}`);
    return parsed;
  };
  return {
    /** Every proxy's state, by name. */
    list: () => call('GET', '/faults') as Promise<Record<string, FaultState>>,
    /** Sets one proxy's mode. */
    set: (name: string, mode: FaultMode) => call('PUT', `/faults/${name}`, { mode }) as Promise<FaultState>,
    /** Puts every proxy back to `pass`. */
    passAll: () => call('PUT', '/faults', { mode: 'pass' }) as Promise<Record<string, FaultState>>,
    /** Resets one proxy's open connections; resolves to how many there were. */
    reset: async (name: string) => ((await call('POST', `/faults/${name}/reset`)) as { reset: number }).reset,
  };
}
