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

/**
 * Authorize then capture, deadlines, needs-attention, notification claims, the outbox, idempotency keys, dead
 * letters and step failures.
 */
const reliability: Migration = {
  name: '20261127_0002_outbox_idempotency_authorize_capture_dead_letters',
  async up(knex) {
    await knex.raw(`
      ALTER TABLE orders
        ADD COLUMN payment_method text,
        ADD COLUMN deadline_at timestamptz,
        ADD COLUMN attention_reason text CHECK (attention_reason IN ('dead_letter', 'release_failed')),
        ADD COLUMN attention_detail text,
        ADD COLUMN attention_since timestamptz,
        ADD COLUMN nudged_at timestamptz,
        ADD COLUMN nudges integer NOT NULL DEFAULT 0;
      UPDATE orders SET deadline_at = created_at + interval '15 minutes';
      ALTER TABLE orders ALTER COLUMN deadline_at SET NOT NULL;
      CREATE INDEX orders_pending_deadline ON orders (deadline_at) WHERE status = 'PENDING';
      CREATE INDEX orders_needing_attention ON orders (attention_since) WHERE attention_reason IS NOT NULL;

      ALTER TABLE payments DROP CONSTRAINT payments_status_check;
      ALTER TABLE payments
        ADD CONSTRAINT payments_status_check CHECK (status IN
          ('AUTHORIZING', 'AUTHORIZED', 'DECLINED', 'CAPTURED', 'CAPTURE_FAILED', 'VOIDED', 'REFUNDED')),
        ADD COLUMN payment_method text,
        ADD COLUMN capture_error text,
        ADD COLUMN release_attempts integer NOT NULL DEFAULT 0,
        ADD COLUMN release_error text;
      ALTER TABLE payments RENAME COLUMN provider_charge_id TO provider_payment_id;

      ALTER TABLE notifications DROP CONSTRAINT notifications_event_id_channel_unique;
      ALTER TABLE notifications
        ADD COLUMN status text NOT NULL DEFAULT 'sent' CHECK (status IN ('sending', 'sent', 'rejected')),
        ADD COLUMN claimed_until timestamptz,
        ADD COLUMN attempts integer NOT NULL DEFAULT 1,
        ADD COLUMN error text,
        ALTER COLUMN provider_message_id DROP NOT NULL,
        ALTER COLUMN sent_at DROP NOT NULL,
        ADD CONSTRAINT notifications_once UNIQUE (order_id, template, channel);

      CREATE TABLE outbox (
        id bigserial PRIMARY KEY,
        event_id uuid NOT NULL,
        topic text NOT NULL,
        envelope jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        published_at timestamptz,
        attempts integer NOT NULL DEFAULT 0,
        last_error text
      );
      CREATE INDEX outbox_unpublished ON outbox (id) WHERE published_at IS NULL;
      CREATE INDEX outbox_published ON outbox (published_at) WHERE published_at IS NOT NULL;

      CREATE TABLE idempotency_keys (
        scope text NOT NULL,
        key text NOT NULL,
        fingerprint text NOT NULL,
        status text NOT NULL CHECK (status IN ('in_progress', 'done')),
        locked_until timestamptz,
        response_status integer,
        response_headers jsonb,
        response_body jsonb,
        created_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL,
        PRIMARY KEY (scope, key)
      );
      CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at);

      CREATE TABLE step_failures (
        function text NOT NULL,
        event_id uuid NOT NULL,
        order_id uuid,
        attempts integer NOT NULL,
        last_error text NOT NULL,
        first_failed_at timestamptz NOT NULL,
        last_failed_at timestamptz NOT NULL,
        PRIMARY KEY (function, event_id)
      );

      CREATE TABLE dead_letters (
        id uuid PRIMARY KEY,
        function text NOT NULL,
        topic text,
        cause text NOT NULL CHECK (cause IN ('max_attempts', 'poison', 'unknown_order')),
        event_type text,
        event_id text,
        order_id uuid,
        attempts integer,
        last_error text,
        status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'replayed', 'discarded')),
        data text NOT NULL,
        attributes jsonb NOT NULL,
        first_failed_at timestamptz,
        dead_lettered_at timestamptz NOT NULL,
        resolved_at timestamptz,
        resolved_by text,
        resolution_reason text
      );
      CREATE INDEX dead_letters_by_status ON dead_letters (status, dead_lettered_at DESC, id);
      CREATE INDEX dead_letters_by_order ON dead_letters (order_id);

      CREATE TABLE admin_actions (
        id bigserial PRIMARY KEY,
        action text NOT NULL,
        target text NOT NULL,
        order_id uuid,
        actor text NOT NULL,
        reason text,
        at timestamptz NOT NULL
      );
      CREATE INDEX admin_actions_by_order ON admin_actions (order_id);
    `);
  },
  async down(knex) {
    await knex.raw(`
      DROP TABLE admin_actions, dead_letters, step_failures, idempotency_keys, outbox;
      ALTER TABLE notifications DROP CONSTRAINT notifications_once,
        DROP COLUMN status, DROP COLUMN claimed_until, DROP COLUMN attempts, DROP COLUMN error;
      ALTER TABLE notifications ADD CONSTRAINT notifications_event_id_channel_unique UNIQUE (event_id, channel);
      ALTER TABLE payments RENAME COLUMN provider_payment_id TO provider_charge_id;
      ALTER TABLE payments DROP CONSTRAINT payments_status_check,
        DROP COLUMN payment_method, DROP COLUMN capture_error, DROP COLUMN release_attempts, DROP COLUMN release_error;
      ALTER TABLE orders DROP COLUMN payment_method, DROP COLUMN deadline_at, DROP COLUMN attention_reason,
        DROP COLUMN attention_detail, DROP COLUMN attention_since, DROP COLUMN nudged_at, DROP COLUMN nudges;
    `);
  },
};

/**
 * Limits: rate-limit counters (rate-limiter-flexible's PostgreSQL store, when there is no Redis), open orders per
 * customer, text messages per customer and day.
 */
const apiEdge: Migration = {
  name: '20261127_0003_limits',
  async up(knex) {
    await knex.raw(`
      CREATE TABLE rate_limits (
        key varchar(255) PRIMARY KEY,
        points integer NOT NULL DEFAULT 0,
        expire bigint
      );
      CREATE INDEX rate_limits_expire ON rate_limits (expire);
      CREATE INDEX orders_open_by_customer ON orders (customer_id) WHERE status = 'PENDING';
      ALTER TABLE notifications ADD COLUMN customer_id text;
      CREATE INDEX notifications_sms_by_customer ON notifications (customer_id, sent_at) WHERE channel = 'sms';
    `);
  },
  async down(knex) {
    await knex.raw(`
      DROP TABLE rate_limits;
      DROP INDEX orders_open_by_customer;
      ALTER TABLE notifications DROP COLUMN customer_id;
    `);
  },
};

/**
 * Observability: every event seen on a saga topic (`saga_events`, written by the audit subscriber), every delivery of
 * an event to a step with its outcome (`step_deliveries`, which replaces the per-event failure counts of
 * `step_failures`), and the trace context of an order and of each outbox row, so work done later (a sweep, a nudge,
 * an operator's replay) joins the order's trace.
 */
const observability: Migration = {
  name: '20261128_0004_observability',
  async up(knex) {
    await knex.raw(`
      CREATE TABLE saga_events (
        event_id uuid PRIMARY KEY,
        order_id uuid,
        type text NOT NULL,
        causation_id uuid,
        producer text,
        occurred_at timestamptz NOT NULL,
        recorded_at timestamptz NOT NULL,
        trace_id text,
        data jsonb NOT NULL
      );
      CREATE INDEX saga_events_by_order ON saga_events (order_id, occurred_at);

      CREATE TABLE step_deliveries (
        id bigserial PRIMARY KEY,
        function text NOT NULL,
        event_id uuid NOT NULL,
        order_id uuid,
        attempt integer,
        outcome text NOT NULL CHECK (outcome IN ('handled', 'failed', 'dead_lettered')),
        error text,
        published text[] NOT NULL DEFAULT '{}',
        started_at timestamptz NOT NULL,
        ms integer NOT NULL,
        trace_id text,
        span_id text
      );
      CREATE INDEX step_deliveries_by_event ON step_deliveries (function, event_id);
      CREATE INDEX step_deliveries_by_order ON step_deliveries (order_id, started_at);
      INSERT INTO step_deliveries (function, event_id, order_id, outcome, error, started_at, ms)
        SELECT function, event_id, order_id, 'failed', last_error, last_failed_at, 0 FROM step_failures;
      DROP TABLE step_failures;

      ALTER TABLE orders ADD COLUMN traceparent text;
      ALTER TABLE outbox ADD COLUMN traceparent text;
    `);
  },
  async down(knex) {
    await knex.raw(`
      CREATE TABLE step_failures (
        function text NOT NULL,
        event_id uuid NOT NULL,
        order_id uuid,
        attempts integer NOT NULL,
        last_error text NOT NULL,
        first_failed_at timestamptz NOT NULL,
        last_failed_at timestamptz NOT NULL,
        PRIMARY KEY (function, event_id)
      );
      INSERT INTO step_failures
        SELECT function, event_id, max(order_id::text)::uuid, count(*), (array_agg(error ORDER BY started_at DESC))[1], min(started_at), max(started_at)
        FROM step_deliveries WHERE outcome = 'failed' GROUP BY function, event_id;
      DROP TABLE saga_events, step_deliveries;
      ALTER TABLE orders DROP COLUMN traceparent;
      ALTER TABLE outbox DROP COLUMN traceparent;
    `);
  },
};

const migrations: Migration[] = [initial, reliability, apiEdge, observability];

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
