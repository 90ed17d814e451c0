import { createRequire } from 'node:module';
import { http } from '@google-cloud/functions-framework';
import { db } from '../../functions/lib/db/knex.ts';
import { collections, firestore } from '../../functions/lib/firestore.ts';
import { pubsub } from '../../functions/lib/pubsub.ts';

// A function that uses every client through the shared accessors, for the build test: built with its packages
// inlined, it must still speak gRPC (Pub/Sub, Firestore) and reach PostgreSQL through the pg left in node_modules.
http(process.env.FUNCTION_TARGET!, async (_req, res) => {
  const [topics] = await pubsub().getTopics();
  const products = await firestore().collection(collections.products).limit(1).get();
  const { rows } = await db().raw<{ rows: { one: number }[] }>('select 1 as one');
  const loaded = Object.keys(createRequire(import.meta.url).cache);
  res.json({
    topics: topics.length,
    products: products.size,
    one: rows[0]!.one,
    pgFrom: loaded.find((path) => path.endsWith('/node_modules/pg/lib/index.js')) ?? null,
  });
});
