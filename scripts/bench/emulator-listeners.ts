/**
 * What the Firestore emulator does with catalog-api's listeners as the catalog grows, measured on an emulator of its
 * own: `npx tsx scripts/bench/emulator-listeners.ts --products 100000` (about 2 minutes at that size). It seeds the
 * demo catalog, then times a query and a listener that match nothing (the emulator scans the collection for both),
 * and what one product update costs a listener that holds nothing, and one that holds the whole catalog (the
 * emulator sends it the whole result set again). docs/design/catalog-search.md cites its numbers.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { FieldValue, Timestamp, type Firestore, type Query } from '@google-cloud/firestore';
import { createFirestore, collections } from '../../functions/lib/firestore.ts';
import { demoCatalog, writeCatalog } from '../seed/catalog.ts';
import { LARGE_CATALOG_PRODUCTS, startFirestoreEmulator } from '../stack/emulators.ts';
import { freePort } from '../stack/process.ts';

const { values } = parseArgs({ options: { products: { type: 'string', default: '100000' }, changes: { type: 'string', default: '5' } } });
const products = Number(values.products);
const changes = Number(values.changes);
const project = 'saga-commerce-emulator-listeners';
const round = (n: number) => Math.round(n);
const changed = demoCatalog(changes).map((p) => p.id);

/** Listens to `query` and resolves once its first snapshot arrived; `next` then waits for the following one. */
async function listen(query: Query) {
  let waiting: ((changes: number) => void) | null = null;
  let first: (() => void) | null = null;
  const started = performance.now();
  const ready = new Promise<void>((resolve) => (first = resolve));
  let size = 0;
  const stop = query.onSnapshot((snap) => {
    if (first) {
      size = snap.size;
      first();
      first = null;
    } else waiting?.(snap.docChanges().length);
  });
  await ready;
  return {
    firstMs: round(performance.now() - started),
    size,
    next: () => new Promise<number>((resolve) => (waiting = resolve)),
    stop,
  };
}

/** Updates `changes` products one at a time; for each, the write's time and the listening process's CPU until the listener heard it. */
async function changeCosts(writer: Firestore, listener: Awaited<ReturnType<typeof listen>>) {
  const rows: { writeMs: number; heardMs: number; cpuMs: number; changes: number }[] = [];
  for (let i = 0; i < changes; i++) {
    const cpu = process.cpuUsage();
    const started = performance.now();
    const heard = listener.next();
    await writer.collection(collections.products).doc(changed[i]!).update({ name: `Changed ${Date.now()}`, updatedAt: FieldValue.serverTimestamp() });
    const writeMs = round(performance.now() - started);
    const count = await heard;
    const used = process.cpuUsage(cpu);
    rows.push({ writeMs, heardMs: round(performance.now() - started), cpuMs: round((used.user + used.system) / 1000), changes: count });
  }
  return rows;
}

const dir = mkdtempSync(join(tmpdir(), 'saga-emulator-listeners-'));
const port = await freePort();
console.log(`starting a Firestore emulator on 127.0.0.1:${port}`);
const emulator = await startFirestoreEmulator({ port, project, logDir: dir, pidDir: dir, large: products > LARGE_CATALOG_PRODUCTS });
process.env.FIRESTORE_EMULATOR_HOST = `127.0.0.1:${port}`;
process.env.METADATA_SERVER_DETECTION = 'none';
// Two clients, as two processes would have: the writer's calls do not queue behind the listener's deliveries.
const [fs, writer] = [createFirestore(project), createFirestore(project)];
try {
  console.log(`seeding ${products} products and their stock`);
  const seedStarted = performance.now();
  await writeCatalog(writer, demoCatalog(products), { unthrottled: true });
  console.log(`  seeded in ${(round(performance.now() - seedStarted) / 1000).toFixed(1)} s`);

  const now = Timestamp.now();
  const nothing = fs.collection(collections.products).where('updatedAt', '>=', now);
  const getStarted = performance.now();
  await nothing.get();
  console.log(`a query that matches nothing (updatedAt >= now): ${round(performance.now() - getStarted)} ms`);

  const empty = await listen(nothing);
  console.log(`a listener on it: first (empty) snapshot after ${empty.firstMs} ms`);
  for (const row of await changeCosts(writer, empty)) {
    console.log(`  one product update: write ${row.writeMs} ms, heard after ${row.heardMs} ms (${row.changes} change), listening process CPU ${row.cpuMs} ms`);
  }
  empty.stop();

  const whole = await listen(fs.collection(collections.products));
  console.log(`a listener on the whole collection: first snapshot (${whole.size} products) after ${whole.firstMs} ms`);
  for (const row of await changeCosts(writer, whole)) {
    console.log(`  one product update: write ${row.writeMs} ms, heard after ${row.heardMs} ms (${row.changes} change), listening process CPU ${row.cpuMs} ms`);
  }
  whole.stop();
} finally {
  await Promise.all([fs.terminate(), writer.terminate()]);
  await emulator.stop();
  rmSync(dir, { recursive: true, force: true });
}
