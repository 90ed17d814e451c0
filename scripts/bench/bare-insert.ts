import { randomUUID } from 'node:crypto';
import { http } from '@google-cloud/functions-framework';
import pg from 'pg';

// The order-intake baseline: a bare functions-framework handler that inserts the row `POST /v1/orders` inserts into
// `orders`, into the same PostgreSQL, and answers 202. No token, no validation, no prices, no event.
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 5 });

http('bare-insert', async (req, res) => {
  const body = req.body as { items: { productId: string; quantity: number }[]; payment: { method: string }; contact: { email: string } };
  const id = randomUUID();
  const now = new Date();
  await pool.query(
    'insert into "orders" ("contact_email", "contact_phone", "created_at", "currency", "customer_id", "deadline_at", "id", "payment_method", "status", "total_amount", "traceparent", "updated_at") values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)',
    [body.contact.email, null, now, 'EUR', 'bench-bare', new Date(now.getTime() + 120_000), id, body.payment.method, 'PENDING', 8199, null, now],
  );
  res.status(202).json({ id, status: 'PENDING' });
});
