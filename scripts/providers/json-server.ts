import http from 'node:http';
import { serveOnLoopback } from '../stack/process.ts';

/** A JSON request as the local provider stand-ins see it. */
export interface JsonRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  body: unknown;
}

/** Starts a small JSON HTTP server on 127.0.0.1:port; `handle` answers `[status, body]`. */
export async function startJsonServer(
  port: number,
  handle: (req: JsonRequest) => [number, unknown] | Promise<[number, unknown]>,
): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    let status: number;
    let body: unknown;
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      [status, body] = await handle({ method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: req.headers, body: text ? JSON.parse(text) : undefined });
    } catch (err) {
      [status, body] = [400, { error: { type: 'invalid_request_error', message: (err as Error).message } }];
    }
    res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
  });
  return serveOnLoopback(server, port);
}
