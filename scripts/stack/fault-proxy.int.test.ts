import net from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { faultControl, startFaultControl, startFaultProxy, type FaultProxy } from './fault-proxy.ts';

/** A TCP server that greets each connection with "hi\n" and echoes what it receives. */
async function startEcho(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.write('hi\n');
    socket.pipe(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A client connection that records what it receives and how it ended. */
function connect(port: number) {
  const socket = net.connect(port, '127.0.0.1');
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('utf8')));
  const connected = new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const ended = new Promise<{ error: NodeJS.ErrnoException | null }>((resolve) => {
    let error: NodeJS.ErrnoException | null = null;
    socket.on('error', (err) => (error = err));
    socket.once('close', () => resolve({ error }));
  });
  return {
    socket,
    connected,
    ended,
    received: () => received,
    /** Resolves once `text` has arrived; fails after `ms`. */
    async waitFor(text: string, ms = 2000) {
      const deadline = Date.now() + ms;
      while (!received.includes(text)) {
        if (Date.now() > deadline) throw new Error(`did not receive ${JSON.stringify(text)} within ${ms} ms; got ${JSON.stringify(received)}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('fault proxy', () => {
  let echo: Awaited<ReturnType<typeof startEcho>>;
  let proxy: FaultProxy;
  const open: ReturnType<typeof connect>[] = [];
  const client = (port = proxy.port) => {
    const c = connect(port);
    c.connected.catch(() => undefined);
    open.push(c);
    return c;
  };

  beforeAll(async () => {
    echo = await startEcho();
    proxy = await startFaultProxy({ name: 'echo', target: { host: '127.0.0.1', port: echo.port } });
  });
  afterEach(async () => {
    for (const c of open.splice(0)) c.socket.destroy();
    await proxy.setMode('pass');
  });
  afterAll(async () => {
    await proxy.close();
    await echo.close();
  });

  it('when the mode is pass, then bytes go both ways and a half-close is passed on', async () => {
    const c = client();
    await c.connected;
    await c.waitFor('hi\n');
    c.socket.write('ping');
    await c.waitFor('ping');
    c.socket.end();
    expect(await c.ended).toEqual({ error: null });
    expect(c.received()).toBe('hi\nping');
  });

  it('when the mode is refuse, then new connections are refused and open ones are reset', async () => {
    const before = client();
    await before.waitFor('hi\n');

    await proxy.setMode('refuse');

    expect((await before.ended).error?.code).toBe('ECONNRESET');
    await expect(client().connected).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(proxy.state()).toMatchObject({ mode: 'refuse', connections: 0 });

    await proxy.setMode('pass');
    const after = client();
    await after.waitFor('hi\n');
  });

  it('when the mode is hang, then no byte moves on new or open connections until it is pass again', async () => {
    const earlier = client();
    await earlier.waitFor('hi\n');

    await proxy.setMode('hang');
    earlier.socket.write('held');
    const later = client();
    await later.connected;
    later.socket.write('queued');
    await sleep(300);
    expect(earlier.received()).toBe('hi\n');
    expect(later.received()).toBe('');
    expect(proxy.state().connections).toBe(2);

    await proxy.setMode('pass');
    await earlier.waitFor('held');
    await later.waitFor('hi\nqueued');
  });

  it('when a hang turns into refuse, then the held connections are reset', async () => {
    await proxy.setMode('hang');
    const held = client();
    await held.connected;

    await proxy.setMode('refuse');

    expect((await held.ended).error?.code).toBe('ECONNRESET');
  });

  it('when modes are changed in quick succession, then they apply in order and the last one holds', async () => {
    await Promise.all([proxy.setMode('refuse'), proxy.setMode('pass'), proxy.setMode('refuse'), proxy.setMode('hang'), proxy.setMode('pass')]);

    expect(proxy.mode).toBe('pass');
    await client().waitFor('hi\n');
  });

  it('when connections are reset, then open ones end with ECONNRESET and new ones work', async () => {
    const a = client();
    const b = client();
    await Promise.all([a.waitFor('hi\n'), b.waitFor('hi\n')]);

    expect(proxy.resetConnections()).toBe(2);

    expect((await a.ended).error?.code).toBe('ECONNRESET');
    expect((await b.ended).error?.code).toBe('ECONNRESET');
    const c = client();
    await c.waitFor('hi\n');
  });

  it('when the target refuses, then the client connection is reset rather than left open', async () => {
    const dead = await startFaultProxy({ name: 'dead', target: { host: '127.0.0.1', port: await unusedPort() } });
    try {
      const c = client(dead.port);
      await c.connected;
      expect((await c.ended).error?.code).toBe('ECONNRESET');
    } finally {
      await dead.close();
    }
  });

  it('when large writes go through, then every byte arrives in order', async () => {
    const c = client();
    await c.waitFor('hi\n');
    const big = Array.from({ length: 200_000 }, (_, i) => `${i},`).join('');
    c.socket.write(big);
    await c.waitFor(`,${199_999},`, 10_000);
    expect(c.received().length).toBe(big.length + 3);
    expect(c.received() === `hi\n${big}`).toBe(true);
  });
});

describe('fault control server', () => {
  let echo: Awaited<ReturnType<typeof startEcho>>;
  let proxies: FaultProxy[];
  let control: Awaited<ReturnType<typeof startFaultControl>>;

  beforeAll(async () => {
    echo = await startEcho();
    proxies = await Promise.all(['one', 'two'].map((name) => startFaultProxy({ name, target: { host: '127.0.0.1', port: echo.port } })));
    control = await startFaultControl({ port: 0, proxies });
  });
  afterAll(async () => {
    await control.close();
    await Promise.all(proxies.map((p) => p.close()));
    await echo.close();
  });

  it('when a mode is put, then that proxy changes and the listing shows it', async () => {
    const faults = faultControl(control.url);

    expect(await faults.set('two', 'hang')).toMatchObject({ mode: 'hang', target: `127.0.0.1:${echo.port}` });

    const listed = await faults.list();
    expect(listed.one!.mode).toBe('pass');
    expect(listed.two!.mode).toBe('hang');
    expect(proxies[1]!.mode).toBe('hang');
    await faults.passAll();
    expect(proxies.map((p) => p.mode)).toEqual(['pass', 'pass']);
  });

  it('when connections are reset through the control server, then it says how many', async () => {
    const c = connect(proxies[0]!.port);
    await c.waitFor('hi\n');

    expect(await faultControl(control.url).reset('one')).toBe(1);

    expect((await c.ended).error?.code).toBe('ECONNRESET');
  });

  it('when the name or mode is wrong, then the answer says what is valid', async () => {
    const unknown = await fetch(`${control.url}/faults/three`, { method: 'PUT', body: '{"mode":"hang"}' });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: string }).error).toContain('one, two');

    const badMode = await fetch(`${control.url}/faults/one`, { method: 'PUT', body: '{"mode":"slow"}' });
    expect(badMode.status).toBe(400);
    expect(((await badMode.json()) as { error: string }).error).toContain('pass, refuse, hang');
  });
});

async function unusedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
