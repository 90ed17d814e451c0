import { createHash } from 'node:crypto';
import http from 'node:http';
import { CRC32C } from '@google-cloud/storage';
import { serveOnLoopback } from '../stack/process.ts';

interface StoredObject {
  bucket: string;
  name: string;
  contentType: string;
  data: Buffer;
  metadata: Record<string, unknown>;
  generation: number;
  updated: string;
}

/** The CRC32C of data as the JSON API reports it (base64 of the big-endian value). */
function crc32c(data: Buffer): string {
  const crc = new CRC32C();
  crc.update(data);
  return crc.toString();
}

/** Reads a whole request body. */
async function bodyOf(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Splits a multipart/related upload (JSON metadata part, then the media part). */
function multipart(body: Buffer, contentType: string): { metadata: Record<string, unknown>; media: Buffer; mediaType: string } {
  const boundary = /boundary="?([^";]+)"?/.exec(contentType)?.[1];
  if (!boundary) throw new Error('multipart upload without a boundary');
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: Buffer[] = [];
  let start = body.indexOf(delimiter);
  while (start !== -1) {
    const next = body.indexOf(delimiter, start + delimiter.length);
    if (next === -1) break;
    parts.push(body.subarray(start + delimiter.length + 2, next - 2));
    start = next;
  }
  const split = (part: Buffer) => {
    const end = part.indexOf('\r\n\r\n');
    return { headers: part.subarray(0, end).toString(), content: part.subarray(end + 4) };
  };
  const [meta, media] = parts.map(split);
  if (!meta || !media) throw new Error('multipart upload needs a metadata part and a media part');
  return {
    metadata: JSON.parse(meta.content.toString()) as Record<string, unknown>,
    media: media.content,
    mediaType: /content-type:\s*([^\r\n]+)/i.exec(media.headers)?.[1]?.trim() ?? 'application/octet-stream',
  };
}

/**
 * A local stand-in for the part of the Cloud Storage JSON API this project uses (bucket create, multipart upload,
 * object metadata, download, delete), plus public reads at `/{bucket}/{object}` as storage.googleapis.com serves
 * them. The product code reaches it through STORAGE_EMULATOR_HOST; data lives in memory.
 */
export async function startStorageEmulator(port: number): Promise<{ url: string; close(): Promise<void> }> {
  const buckets = new Set<string>();
  const objects = new Map<string, StoredObject>();
  const key = (bucket: string, name: string) => `${bucket}/${name}`;
  const resource = (o: StoredObject) => ({
    kind: 'storage#object',
    id: `${o.bucket}/${o.name}/${o.generation}`,
    bucket: o.bucket,
    name: o.name,
    contentType: o.contentType,
    size: String(o.data.length),
    md5Hash: createHash('md5').update(o.data).digest('base64'),
    crc32c: crc32c(o.data),
    generation: String(o.generation),
    metageneration: '1',
    updated: o.updated,
    ...o.metadata,
  });
  const json = (res: http.ServerResponse, status: number, body: unknown) =>
    res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
  const notFound = (res: http.ServerResponse, what: string) => json(res, 404, { error: { code: 404, message: `No such object: ${what}` } });

  const server = http.createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const path = url.pathname.replace(/^\/storage\/v1(?=\/b\b)/, '');
      let m: RegExpExecArray | null;
      if (req.method === 'POST' && path === '/b') {
        const { name } = JSON.parse((await bodyOf(req)).toString()) as { name: string };
        if (buckets.has(name)) return json(res, 409, { error: { code: 409, message: 'bucket exists' } });
        buckets.add(name);
        return json(res, 200, { kind: 'storage#bucket', id: name, name });
      }
      if (req.method === 'POST' && (m = /^\/upload\/storage\/v1\/b\/([^/]+)\/o$/.exec(url.pathname))) {
        const bucket = decodeURIComponent(m[1]!);
        if (!buckets.has(bucket)) return json(res, 404, { error: { code: 404, message: `No such bucket: ${bucket}` } });
        const body = await bodyOf(req);
        const upload = url.searchParams.get('uploadType') === 'multipart'
          ? multipart(body, req.headers['content-type'] ?? '')
          : { metadata: {}, media: body, mediaType: req.headers['content-type'] ?? 'application/octet-stream' };
        const name = (upload.metadata.name as string | undefined) ?? url.searchParams.get('name');
        if (!name) return json(res, 400, { error: { code: 400, message: 'object name missing' } });
        const { name: _name, contentType, ...metadata } = upload.metadata;
        const stored: StoredObject = {
          bucket,
          name,
          contentType: (contentType as string | undefined) ?? upload.mediaType,
          data: upload.media,
          metadata,
          generation: Date.now(),
          updated: new Date().toISOString(),
        };
        objects.set(key(bucket, name), stored);
        return json(res, 200, resource(stored));
      }
      if ((m = /^\/b\/([^/]+)\/o\/(.+)$/.exec(path))) {
        const [bucket, name] = [decodeURIComponent(m[1]!), decodeURIComponent(m[2]!)];
        const object = objects.get(key(bucket, name));
        if (req.method === 'DELETE') {
          if (!object) return notFound(res, name);
          objects.delete(key(bucket, name));
          return res.writeHead(204).end();
        }
        if (req.method === 'GET') {
          if (!object) return notFound(res, name);
          if (url.searchParams.get('alt') === 'media') return res.writeHead(200, { 'Content-Type': object.contentType }).end(object.data);
          return json(res, 200, resource(object));
        }
      }
      if (req.method === 'GET' && (m = /^\/([^/]+)\/(.+)$/.exec(url.pathname))) {
        const object = objects.get(key(decodeURIComponent(m[1]!), decodeURIComponent(m[2]!)));
        if (!object) return res.writeHead(404, { 'Content-Type': 'text/plain' }).end('Not found');
        return res.writeHead(200, { 'Content-Type': object.contentType, 'Cache-Control': String(object.metadata.cacheControl ?? 'public, max-age=3600') }).end(object.data);
      }
      json(res, 501, { error: { code: 501, message: `the local storage endpoint does not implement ${req.method} ${url.pathname}` } });
    } catch (err) {
      json(res, 400, { error: { code: 400, message: (err as Error).message } });
    }
  });
  return serveOnLoopback(server, port);
}
