import type { Envelope } from '../../schemas/index.ts';
import { formatMoney } from '../lib/money.ts';

/** A rendered customer message for every channel. */
export interface Rendered {
  template: 'order_confirmed' | 'order_cancelled';
  subject: string;
  text: string;
  sms: string;
}

const reasons = {
  payment_declined: 'your payment was declined',
  out_of_stock: 'some items are out of stock',
  capture_failed: 'your payment could not be completed',
  timeout: 'we could not complete it in time',
  cancelled_by_shop: 'we could not fulfil it',
} as const;

/** Renders what the customer is told about an order's outcome. */
export function render(event: Envelope<'order.confirmed' | 'order.cancelled'>): Rendered {
  const ref = event.data.orderId.slice(0, 8).toUpperCase();
  switch (event.type) {
    case 'order.confirmed': {
      const total = formatMoney(event.data.total);
      const items = event.data.lines.reduce((n, l) => n + l.quantity, 0);
      return {
        template: 'order_confirmed',
        subject: `Order ${ref} confirmed`,
        text: `Thank you! Your order ${event.data.orderId} (${items} item${items === 1 ? '' : 's'}, ${total}) is confirmed and being prepared.`,
        sms: `Saga Commerce: order ${ref} confirmed, ${total}.`,
      };
    }
    case 'order.cancelled': {
      const total = formatMoney(event.data.total);
      const money = {
        none: ' You were not charged.',
        void: ` You were not charged: the hold of ${total} on your card is released.`,
        refund: ` We are refunding ${total} to your card.`,
      }[event.data.moneyBack];
      return {
        template: 'order_cancelled',
        subject: `Order ${ref} cancelled`,
        text: `We are sorry: your order ${event.data.orderId} was cancelled because ${reasons[event.data.reason]}.${money}`,
        sms: `Saga Commerce: order ${ref} cancelled (${reasons[event.data.reason]}).${money}`,
      };
    }
    default: {
      const unreachable: never = event;
      throw new Error(`no template for ${JSON.stringify(unreachable)}`);
    }
  }
}
