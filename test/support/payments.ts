/** What a Stripe simulator holds for an order, counted by effect. */
export interface PaymentEffects {
  authorizations: number;
  captures: number;
  voids: number;
  refunds: number;
  captured: number;
  intents: { id: string; status: string; amount: number; currency: string }[];
}

/**
 * Counts an order's effects at a Stripe simulator through Stripe's own API (search by the `orderId` metadata, refunds
 * by intent): authorizations made, captures, voids we asked for (a capture refused by the provider cancels the intent
 * `automatic`ally; that is no void of ours) and refunds.
 */
export async function paymentEffects(simulatorUrl: string, orderId: string): Promise<PaymentEffects> {
  const auth = { Authorization: 'Bearer sk_test_effects' };
  const query = encodeURIComponent(`metadata['orderId']:'${orderId}'`);
  const intents = ((await (await fetch(`${simulatorUrl}/v1/payment_intents/search?query=${query}`, { headers: auth })).json()) as {
    data: { id: string; status: string; amount: number; currency: string; amount_received: number; cancellation_reason: string | null }[];
  }).data;
  let refunds = 0;
  for (const i of intents) refunds += ((await (await fetch(`${simulatorUrl}/v1/refunds?payment_intent=${i.id}`, { headers: auth })).json()) as { data: unknown[] }).data.length;
  return {
    authorizations: intents.filter((i) => i.status !== 'requires_payment_method').length,
    captures: intents.filter((i) => i.amount_received > 0).length,
    voids: intents.filter((i) => i.status === 'canceled' && i.cancellation_reason !== 'automatic').length,
    refunds,
    captured: intents.reduce((sum, i) => sum + i.amount_received, 0),
    intents: intents.map((i) => ({ id: i.id, status: i.status, amount: i.amount, currency: i.currency })),
  };
}
