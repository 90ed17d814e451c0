import { cloudEvent } from '@google-cloud/functions-framework';
import { firestore } from '../lib/firestore.ts';
import { firestoreFailures } from '../lib/step-failures.ts';
import { pubsubStep } from '../lib/step.ts';
import { createInventoryReserve } from './handler.ts';

cloudEvent(
  'inventory-reserve',
  pubsubStep('inventory-reserve', () => createInventoryReserve({ firestore: firestore() }), { failures: () => firestoreFailures(firestore()) }),
);
