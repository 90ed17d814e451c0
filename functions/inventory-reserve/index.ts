import { firestore } from '../lib/firestore.ts';
import { serveEvents } from '../lib/http/serve.ts';
import { firestoreFailures } from '../lib/step-failures.ts';
import { pubsubStep } from '../lib/step.ts';
import { createInventoryReserve } from './handler.ts';

serveEvents(
  'inventory-reserve',
  pubsubStep('inventory-reserve', () => createInventoryReserve({ firestore: firestore() }), { failures: () => firestoreFailures(firestore()) }),
);
