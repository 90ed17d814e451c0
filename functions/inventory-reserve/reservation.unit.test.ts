import { describe, expect, it } from 'vitest';
import { decideReservation } from './reservation.ts';

describe('decideReservation', () => {
  const stock = new Map([['a', 5], ['b', 1]]);

  it('when every line is available, then all are reserved and the remaining stock is given', () => {
    expect(decideReservation([{ productId: 'a', quantity: 5 }, { productId: 'b', quantity: 1 }], stock)).toEqual({
      ok: true,
      remaining: new Map([['a', 0], ['b', 0]]),
    });
  });

  it('when one line is short, then nothing is reserved and the short lines are listed', () => {
    expect(decideReservation([{ productId: 'a', quantity: 1 }, { productId: 'b', quantity: 2 }], stock)).toEqual({
      ok: false,
      unavailable: [{ productId: 'b', requested: 2, available: 1 }],
    });
  });

  it('when a product has no stock record, then it counts as none available', () => {
    expect(decideReservation([{ productId: 'ghost', quantity: 1 }], stock)).toEqual({
      ok: false,
      unavailable: [{ productId: 'ghost', requested: 1, available: 0 }],
    });
  });
});
