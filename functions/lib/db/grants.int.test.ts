import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { useSagaWorld } from '../../../test/support/driver.ts';
import { parseConfig } from '../config.ts';
import { grantFunctionUsers } from './grants.ts';
import { createDb } from './knex.ts';

const world = useSagaWorld();
const user = `orders-api-sa-${randomUUID().slice(0, 6)}@test.iam`;

afterAll(async () => {
  await world.db.raw(`DROP OWNED BY "${user}"`).catch(() => undefined);
  await world.db.raw(`DROP ROLE IF EXISTS "${user}"`);
});

describe('grantFunctionUsers', () => {
  it('when a function user is granted, then it may read and write the tables and nothing more', async () => {
    await world.db.raw(`CREATE ROLE "${user}" LOGIN`);
    await grantFunctionUsers(world.db, [user]);
    await grantFunctionUsers(world.db, [user]); // a second deploy grants again, harmlessly
    const url = new URL(world.db.client.config.connection.connectionString as string);
    url.username = encodeURIComponent(user);
    url.password = '';
    const asFunction = createDb(parseConfig({ DATABASE_URL: url.toString(), DB_POOL_MAX: '1' }));
    try {
      const id = randomUUID();
      await asFunction('outbox').insert({ event_id: id, topic: 't', envelope: '{}' });
      expect(await asFunction('outbox').where({ event_id: id }).first()).toMatchObject({ topic: 't' });
      await expect(asFunction.raw('CREATE TABLE not_allowed (id int)')).rejects.toThrow(/permission denied/);
      await expect(asFunction.raw('DROP TABLE orders')).rejects.toThrow(/must be owner|permission denied/);
    } finally {
      await asFunction.destroy();
    }
  });
});
