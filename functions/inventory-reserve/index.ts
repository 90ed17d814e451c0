import { cloudEvent } from '@google-cloud/functions-framework';
import { firestore } from '../lib/firestore.ts';
import { pubsubStep } from '../lib/step.ts';
import { createInventoryReserve } from './handler.ts';

cloudEvent('inventory-reserve', pubsubStep('inventory-reserve', () => createInventoryReserve({ firestore: firestore() })));
