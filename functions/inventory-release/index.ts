import { firestore } from '../lib/firestore.ts';
import { serveEvents } from '../lib/http/serve.ts';
import { firestoreLedger } from '../lib/step-ledger.ts';
import { pubsubStep } from '../lib/step.ts';
import { createInventoryRelease } from './handler.ts';

serveEvents(
  'inventory-release',
  pubsubStep('inventory-release', () => createInventoryRelease({ firestore: firestore() }), { ledger: () => firestoreLedger(firestore()) }),
);
