import { describe, expect, it } from 'vitest';
import { decideReservation } from './reservation.ts';

describe('decideReservation with a product on several lines', () => {
  it('when two lines of one product together exceed its stock, then nothing is reserved', () => {
    const decision = decideReservation([{ productId: 'a', quantity: 3 }, { productId: 'a', quantity: 3 }], new Map([['a', 5]]));
    expect(decision.ok).toBe(false);
  });
});
