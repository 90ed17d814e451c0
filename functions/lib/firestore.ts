import { Firestore } from '@google-cloud/firestore';
import { config } from './config.ts';

/** Creates a Firestore client; it talks to the emulator when FIRESTORE_EMULATOR_HOST is set. */
export const createFirestore = (projectId: string) => new Firestore({ projectId, ignoreUndefinedProperties: true });

let instance: Firestore | undefined;

/** The process-wide Firestore client, created on first use. */
export function firestore(): Firestore {
  instance ??= createFirestore(config().GOOGLE_CLOUD_PROJECT);
  return instance;
}

/** Collection names, in one place. */
export const collections = {
  products: 'products',
  stock: 'stock',
  reservations: 'reservations',
  stockAdjustments: 'stockAdjustments',
} as const;
