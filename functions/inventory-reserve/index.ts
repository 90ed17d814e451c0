import { firestore } from '../lib/firestore.ts';
import { serveEvents } from '../lib/http/serve.ts';
import { firestoreLedger } from '../lib/step-ledger.ts';
import { pubsubStep } from '../lib/step.ts';
import { createInventoryReserve } from './handler.ts';

serveEvents(
  'inventory-reserve',
  pubsubStep('inventory-reserve', () => createInventoryReserve({ firestore: firestore() }), { ledger: () => firestoreLedger(firestore()) }),
);
