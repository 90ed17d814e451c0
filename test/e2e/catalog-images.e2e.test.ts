import { beforeAll, describe, expect, it } from 'vitest';
import { api, stack, tokenFor, unique } from '../support/saga.ts';

const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
const jpeg = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]), Buffer.from('JFIF\0'), Buffer.alloc(64)]);
const webp = Buffer.concat([Buffer.from('RIFF'), Buffer.from([0x24, 0, 0, 0]), Buffer.from('WEBPVP8 '), Buffer.alloc(64)]);
const gif = Buffer.concat([Buffer.from('GIF89a'), Buffer.alloc(64)]);

let admin: string;
let productId: string;

const upload = (bytes: Buffer, options: { type?: string; token?: string } = {}) =>
  fetch(`${stack.api}/v1/products/${productId}/images`, {
    method: 'POST',
    headers: { 'Content-Type': options.type ?? 'application/octet-stream', Authorization: `Bearer ${options.token ?? admin}` },
    body: bytes,
  }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, string> }));

beforeAll(async () => {
  admin = await tokenFor(unique('ops'), { role: 'admin' });
  const created = await api('/v1/products', {
    token: admin,
    json: { name: `Bildlampe ${unique('i')}`, category: 'lighting', brand: 'Lumen', price: { amount: 2000, currency: 'EUR' } },
  });
  productId = created.body!.id as string;
});

describe('product images in Cloud Storage', () => {
  it('when JPEG, PNG and WebP images are uploaded, then they are stored, served and listed in order, whatever their declared type', async () => {
    const uploaded = [];
    for (const [bytes, type] of [[png, 'application/octet-stream'], [jpeg, 'image/png'], [webp, 'image/webp']] as const) {
      const res = await upload(bytes, { type });
      expect(res.status).toBe(201);
      uploaded.push(res.body);
    }
    expect(uploaded.map((u) => u.contentType)).toEqual(['image/png', 'image/jpeg', 'image/webp']);
    const served = await fetch(uploaded[0]!.url!);
    expect(served.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await served.arrayBuffer()).equals(png)).toBe(true);
    expect((await api(`/v1/products/${productId}`)).body!.imageUrls).toEqual(uploaded.map((u) => u.url));
  });

  it('when an upload is not an accepted image by its content, or too large, then it is refused and nothing is stored', async () => {
    const before = (await api(`/v1/products/${productId}`)).body!.imageUrls;
    expect((await upload(Buffer.from('definitely not a png'), { type: 'image/png' })).body).toMatchObject({ status: 415 });
    expect((await upload(gif, { type: 'image/gif' })).body).toMatchObject({ status: 415 });
    expect((await upload(Buffer.concat([png, Buffer.alloc(5 * 1024 * 1024)]), { type: 'image/png' })).body).toMatchObject({ status: 413 });
    expect((await upload(png, { token: await tokenFor(unique('shopper')) })).status).toBe(403);
    expect((await api(`/v1/products/${productId}`)).body!.imageUrls).toEqual(before);
  });

  it('when images are reordered and removed, then the product follows and a removed image is gone from storage', async () => {
    const product = await api(`/v1/products/${productId}`);
    const urls = product.body!.imageUrls as string[];
    const ids = urls.map((u) => u.split('/').pop()!.split('.')[0]!);
    const reordered = await api(`/v1/products/${productId}/images/order`, { method: 'PUT', token: admin, json: { imageIds: [...ids].reverse() } });
    expect(reordered.body).toMatchObject({ imageIds: [...ids].reverse() });
    expect((await api(`/v1/products/${productId}/images/order`, { method: 'PUT', token: admin, json: { imageIds: [ids[0]] } })).status).toBe(400);

    expect((await api(`/v1/products/${productId}/images/${ids[0]}`, { method: 'DELETE', token: admin })).status).toBe(204);
    expect((await fetch(urls[0]!)).status).toBe(404);
    expect((await api(`/v1/products/${productId}`)).body!.imageUrls).toEqual([urls[2], urls[1]]);
    expect((await api(`/v1/products/${productId}/images/${ids[0]}`, { method: 'DELETE', token: admin })).status).toBe(404);
  });
});
