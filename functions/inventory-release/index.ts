import { cloudEvent } from '@google-cloud/functions-framework';
import { firestore } from '../lib/firestore.ts';
import { firestoreFailures } from '../lib/step-failures.ts';
import { pubsubStep } from '../lib/step.ts';
import { createInventoryRelease } from './handler.ts';

cloudEvent(
  'inventory-release',
  pubsubStep('inventory-release', () => createInventoryRelease({ firestore: firestore() }), { failures: () => firestoreFailures(firestore()) }),
);
