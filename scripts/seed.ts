import { parseArgs } from 'node:util';
import { Storage } from '@google-cloud/storage';
import cliProgress from 'cli-progress';
import { createFirestore } from '../functions/lib/firestore.ts';
import { demoCatalog, writeCatalog, writeCatalogSnapshot } from './seed/catalog.ts';
import { devPorts, emulatorPorts } from './stack/dev-ports.ts';
import { LARGE_CATALOG_PRODUCTS } from './stack/emulators.ts';

// Writes the deterministic demo catalog (products and stock) to Firestore: the emulator of `npm run dev` unless
// FIRESTORE_EMULATOR_HOST says otherwise. Writing to a real Firestore needs --production.
const { values } = parseArgs({
  options: {
    products: { type: 'string', default: '60' },
    project: { type: 'string', default: process.env.GOOGLE_CLOUD_PROJECT ?? 'saga-commerce-local' },
    production: { type: 'boolean', default: false },
    'no-images': { type: 'boolean', default: false },
  },
});
const count = Number(values.products);
if (!Number.isInteger(count) || count < 1 || count > 1_000_000) {
  console.error(`--products must be a whole number from 1 to 1000000, not "${values.products}"`);
  process.exit(2);
}
if (!values.production && count > LARGE_CATALOG_PRODUCTS) {
  console.error(
    `--products ${count}: more than ${LARGE_CATALOG_PRODUCTS} products cannot be seeded into the running stack. The Firestore emulator sends ` +
      'each listener its whole result set again on every change, so catalog-api, which follows the catalog, falls ' +
      'further behind with every batch until the emulator runs out of memory (Firestore itself sends only the change). ' +
      `Stop npm run dev and start it with the catalog seeded before the functions start: npm run dev -- --products ${count}`,
  );
  process.exit(2);
}
if (!values.production) {
  process.env.FIRESTORE_EMULATOR_HOST ??= `127.0.0.1:${emulatorPorts().firestore}`;
  process.env.STORAGE_EMULATOR_HOST ??= `http://127.0.0.1:${devPorts().storage}`;
  process.env.METADATA_SERVER_DETECTION ??= 'none';
}
// Images go to IMAGES_BUCKET (locally the runner's bucket on its storage endpoint); --no-images skips them.
const images = values['no-images']
  ? undefined
  : {
      storage: new Storage({ projectId: values.project }),
      bucket: process.env.IMAGES_BUCKET ?? `${values.project}-images`,
      publicUrl: process.env.IMAGES_PUBLIC_URL ?? process.env.STORAGE_EMULATOR_HOST ?? 'https://storage.googleapis.com',
    };
const target = process.env.FIRESTORE_EMULATOR_HOST ? `the Firestore emulator at ${process.env.FIRESTORE_EMULATOR_HOST}` : `Firestore of project ${values.project}`;

const fs = createFirestore(values.project);
const bar = new cliProgress.SingleBar(
  { format: `seeding ${count} products into ${target} [{bar}] {percentage}% {value}/{total} {duration}s`, hideCursor: true },
  cliProgress.Presets.shades_classic,
);
const started = performance.now();
bar.start(count, 0);
try {
  await writeCatalog(fs, demoCatalog(count), { images, onProgress: (done) => bar.update(done) });
  bar.stop();
  console.log(`done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  // A new catalog-api instance starts from this snapshot instead of reading every product (docs/design/catalog-search.md).
  const snapshotBucket = process.env.CATALOG_SNAPSHOT_BUCKET ?? `${values.project}-catalog`;
  const written = await writeCatalogSnapshot(fs, new Storage({ projectId: values.project }), snapshotBucket);
  console.log(`stored the search snapshot of ${written.products} products in gs://${snapshotBucket} (${(written.bytes / 1048576).toFixed(1)} MB)`);
} catch (err) {
  bar.stop();
  console.error(`seeding failed: ${(err as Error).message}\nIs the stack running (npm run dev), or are FIRESTORE_EMULATOR_HOST and STORAGE_EMULATOR_HOST right?`);
  process.exitCode = 1;
} finally {
  await fs.terminate();
}
