import type { Knex } from 'knex';

interface Migration {
  name: string;
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

const initial: Migration = {
  name: '20261126_0001_orders_payments_notifications',
  async up(knex) {
    await knex.schema.createTable('orders', (t) => {
      t.uuid('id').primary();
      t.text('customer_id').notNullable();
      t.text('status').notNullable().checkIn(['PENDING', 'CONFIRMED', 'CANCELLED']);
      t.text('cancellation_reason').nullable();
      t.bigInteger('total_amount').notNullable().checkPositive();
      t.specificType('currency', 'char(3)').notNullable();
      t.text('contact_email').notNullable();
      t.text('contact_phone').nullable();
      t.timestamp('created_at', { useTz: true }).notNullable();
      t.timestamp('updated_at', { useTz: true }).notNullable();
      t.index(['customer_id', 'created_at', 'id'], 'orders_customer_newest');
    });
    await knex.schema.createTable('order_lines', (t) => {
      t.uuid('order_id').notNullable().references('orders.id').onDelete('CASCADE');
      t.integer('line_no').notNullable();
      t.text('product_id').notNullable();
      t.text('name').notNullable();
      t.integer('quantity').notNullable().checkPositive();
      t.bigInteger('unit_amount').notNullable();
      t.specificType('currency', 'char(3)').notNullable();
      t.primary(['order_id', 'line_no']);
    });
    await knex.schema.createTable('order_status_history', (t) => {
      t.bigIncrements('id');
      t.uuid('order_id').notNullable().references('orders.id').onDelete('CASCADE');
      t.text('status').notNullable();
      t.text('reason').nullable();
      t.uuid('event_id').notNullable().unique();
      t.timestamp('at', { useTz: true }).notNullable();
      t.index(['order_id', 'id']);
    });
    // Payments belong to the payment domain: no foreign key into orders, so the two can be split apart later.
    await knex.schema.createTable('payments', (t) => {
      t.uuid('id').primary();
      t.uuid('order_id').notNullable().unique();
      t.text('status').notNullable().checkIn(['CAPTURED', 'DECLINED', 'REFUNDED']);
      t.bigInteger('amount').notNullable();
      t.specificType('currency', 'char(3)').notNullable();
      t.text('provider').notNullable();
      t.text('provider_charge_id').nullable();
      t.text('decline_code').nullable();
      t.timestamp('created_at', { useTz: true }).notNullable();
      t.timestamp('updated_at', { useTz: true }).notNullable();
    });
    await knex.schema.createTable('refunds', (t) => {
      t.uuid('id').primary();
      t.uuid('payment_id').notNullable().unique().references('payments.id');
      t.bigInteger('amount').notNullable();
      t.specificType('currency', 'char(3)').notNullable();
      t.text('provider_refund_id').notNullable();
      t.text('reason').notNullable();
      t.timestamp('created_at', { useTz: true }).notNullable();
    });
    await knex.schema.createTable('notifications', (t) => {
      t.uuid('id').primary();
      t.uuid('order_id').notNullable().index();
      t.uuid('event_id').notNullable();
      t.text('channel').notNullable().checkIn(['email', 'sms']);
      t.text('template').notNullable();
      t.text('recipient').notNullable();
      t.text('provider_message_id').notNullable();
      t.timestamp('sent_at', { useTz: true }).notNullable();
      t.unique(['event_id', 'channel']);
    });
  },
  async down(knex) {
    for (const table of ['notifications', 'refunds', 'payments', 'order_status_history', 'order_lines', 'orders']) {
      await knex.schema.dropTableIfExists(table);
    }
  },
};

const migrations: Migration[] = [initial];

/** Knex migration source over the migrations compiled into the code (no file-system discovery). */
export const migrationSource: Knex.MigrationSource<Migration> = {
  getMigrations: async () => migrations,
  getMigrationName: (m) => m.name,
  getMigration: async (m) => m,
};

/** Brings the schema to the newest migration; returns the names applied now. */
export async function migrateLatest(knex: Knex): Promise<string[]> {
  const [, applied] = (await knex.migrate.latest({ migrationSource })) as [number, string[]];
  return applied;
}
