import { connect } from 'node:net';

/** An answer read off the socket. */
export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Milliseconds from sending the request head to the whole answer. */
  ms: number;
}

/**
 * Sends a request head (and optionally some body bytes) over a bare socket and reads the answer without sending the
 * rest: the way to show a server answered before reading a body it was promised, or one sent chunked.
 */
export function rawRequest(url: string, head: { method: string; path: string; headers: Record<string, string> }, body = '', timeoutMs = 5000): Promise<RawAnswer> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const socket = connect(Number(port), hostname);
    let received = Buffer.alloc(0);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete answer from ${url}${head.path} within ${timeoutMs} ms; got: ${received.toString('utf8').slice(0, 300)}`));
    }, timeoutMs);
    const finish = () => {
      const text = received.toString('utf8');
      const end = text.indexOf('\r\n\r\n');
      if (end === -1) return false;
      const [statusLine, ...lines] = text.slice(0, end).split('\r\n');
      const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
      const length = Number(headers['content-length'] ?? 0);
      const rest = received.subarray(Buffer.byteLength(text.slice(0, end + 4)));
      if (rest.length < length) return false;
      clearTimeout(timer);
      socket.destroy();
      resolve({ status: Number(statusLine!.split(' ')[1]), headers, body: rest.subarray(0, length).toString('utf8'), ms: performance.now() - started });
      return true;
    };
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      finish();
    });
    socket.on('error', (err) => {
      clearTimeout(timer);
      if (!finish()) reject(err);
    });
    socket.on('connect', () => {
      const lines = [`${head.method} ${head.path} HTTP/1.1`, `Host: ${hostname}:${port}`, ...Object.entries(head.headers).map(([k, v]) => `${k}: ${v}`)];
      socket.write(`${lines.join('\r\n')}\r\n\r\n${body}`);
    });
  });
}
