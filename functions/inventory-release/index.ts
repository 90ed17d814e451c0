import { firestore } from '../lib/firestore.ts';
import { serveEvents } from '../lib/http/serve.ts';
import { firestoreFailures } from '../lib/step-failures.ts';
import { pubsubStep } from '../lib/step.ts';
import { createInventoryRelease } from './handler.ts';

serveEvents(
  'inventory-release',
  pubsubStep('inventory-release', () => createInventoryRelease({ firestore: firestore() }), { failures: () => firestoreFailures(firestore()) }),
);
