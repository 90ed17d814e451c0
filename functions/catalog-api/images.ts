import type { Firestore } from '@google-cloud/firestore';
import type { Storage } from '@google-cloud/storage';
import { fileTypeFromBuffer } from 'file-type';
import { IMAGE_TYPES } from '../../schemas/index.ts';
import { ProductDoc, updatedAtCommit, type ProductImage } from '../lib/catalog.ts';
import { collections } from '../lib/firestore.ts';
import { route, type Route } from '../lib/http/api.ts';
import { HttpProblem } from '../lib/http/problem.ts';
import { newId, stableId } from '../lib/ids.ts';
import type { Logger } from '../lib/logger.ts';
import { COMMIT_TIME } from '../lib/outbox-firestore.ts';
import type { CommitChange } from './changes.ts';

const ACCEPTED = new Set<string>(IMAGE_TYPES);
const MAX_IMAGES = 20;
const FAILED_PRECONDITION = 9;
const ATTEMPTS = 5;


/** What an upload is, judged by its bytes (never by its name or declared type); null when it is not an image we take. */
export async function imageTypeOf(bytes: Uint8Array): Promise<{ mime: string; ext: string } | null> {
  const type = await fileTypeFromBuffer(bytes);
  return type && ACCEPTED.has(type.mime) ? { mime: type.mime, ext: type.ext } : null;
}

/** Admin image routes: upload (JPEG, PNG or WebP, at most 5 MB) to Cloud Storage, reorder, remove. */
export function createImageRoutes(deps: {
  firestore: Firestore;
  storage: Storage;
  bucket: string;
  publicUrl: string;
  commitChange: CommitChange;
  /** Units available now, for the version the change announces. */
  availableOf: (productId: string) => Promise<number>;
}): Route[] {
  const productRef = (id: string) => deps.firestore.collection(collections.products).doc(id);
  const bucket = () => deps.storage.bucket(deps.bucket);

  /**
   * Applies `change` to the product's image list, with the catalog.product.changed it causes in the same batch,
   * retrying when someone else wrote in between.
   */
  async function updateImages(id: string, change: (images: ProductImage[]) => ProductImage[], now: Date, log: Logger): Promise<ProductImage[]> {
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      const snap = await productRef(id).get();
      if (!snap.exists) throw HttpProblem.of('not-found', `no product ${id}`);
      const before = ProductDoc.parse(snap.data()).images;
      const images = change(before);
      if (images === before) return images;
      const batch = deps.firestore.batch();
      batch.update(productRef(id), { images, updatedAt: updatedAtCommit() }, { lastUpdateTime: snap.updateTime! });
      try {
        await deps.commitChange(batch, { productId: id, change: 'updated', version: `${COMMIT_TIME}-${await deps.availableOf(id)}`, now, log });
        return images;
      } catch (err) {
        if ((err as { code?: number }).code !== FAILED_PRECONDITION) throw err;
      }
    }
    throw HttpProblem.of('service-unavailable', 'the product kept changing; retry');
  }

  return [
    route('uploadProductImage', async ({ body: bytes, params, caller, now, log, idempotencyKey }) => {
      const id = params.productId;
      if (bytes.length === 0) throw HttpProblem.of('validation-error', 'send the image bytes as the body', { errors: [{ path: 'body', message: 'is empty' }] });
      const type = await imageTypeOf(bytes);
      if (!type) throw HttpProblem.of('unsupported-media-type', 'the body is not a JPEG, PNG or WebP image (judged by its content)');
      if (!(await productRef(id).get()).exists) throw HttpProblem.of('not-found', `no product ${id}`);
      // With a key, a retry uploads to the same object and finds the image already listed.
      const imageId = idempotencyKey ? stableId('image', caller.sub, idempotencyKey) : newId();
      const object = `products/${id}/${imageId}.${type.ext}`;
      await bucket().file(object).save(bytes, {
        resumable: false,
        contentType: type.mime,
        metadata: { cacheControl: 'public, max-age=31536000, immutable' },
      });
      const image: ProductImage = { id: imageId, object, url: `${deps.publicUrl}/${deps.bucket}/${object}`, contentType: type.mime, bytes: bytes.length };
      try {
        await updateImages(id, (images) => {
          if (images.some((i) => i.id === image.id)) return images;
          if (images.length >= MAX_IMAGES) throw HttpProblem.of('conflict', `a product has at most ${MAX_IMAGES} images`);
          return [...images, image];
        }, now, log);
      } catch (err) {
        // The object is not referenced by the product: remove it again.
        await bucket().file(object).delete({ ignoreNotFound: true });
        throw err;
      }
      return { status: 201, headers: { Location: image.url }, body: { id: image.id, url: image.url, contentType: image.contentType, bytes: image.bytes } };
    }),
    route('reorderProductImages', async ({ body, params, now, log }) => {
      const wanted = body.imageIds;
      const images = await updateImages(params.productId, (current) => {
        const byId = new Map(current.map((i) => [i.id, i]));
        if (wanted.length !== current.length || new Set(wanted).size !== wanted.length || !wanted.every((w) => byId.has(w))) {
          throw HttpProblem.of('validation-error', 'imageIds must list every image of the product once', {
            errors: [{ path: 'body.imageIds', message: `must be an order of ${current.map((i) => i.id).join(', ')}` }],
          });
        }
        return wanted.map((w) => byId.get(w)!);
      }, now, log);
      return { status: 200, body: { imageUrls: images.map((i) => i.url), imageIds: images.map((i) => i.id) } };
    }),
    route('deleteProductImage', async ({ params, now, log }) => {
      const { productId: id, imageId } = params;
      let removed: ProductImage | undefined;
      await updateImages(id, (images) => {
        removed = images.find((i) => i.id === imageId);
        if (!removed) throw HttpProblem.of('not-found', `product ${id} has no image ${imageId}`);
        return images.filter((i) => i.id !== imageId);
      }, now, log);
      await bucket().file(removed!.object).delete({ ignoreNotFound: true });
      return { status: 204 };
    }),
  ];
}
