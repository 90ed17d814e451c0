import { describe, expect, it } from 'vitest';
import { decideRelease } from './handler.ts';

const lines = [{ productId: 'p', quantity: 2 }];

describe('decideRelease', () => {
  it('when stock is reserved, then it is released', () => {
    expect(decideRelease({ status: 'RESERVED', paymentId: 'x', lines, unavailable: [] })).toBe('release');
  });

  it('when nothing was reserved yet, then the order is marked released first so a late reservation takes nothing', () => {
    expect(decideRelease(null)).toBe('forestall');
  });

  it('when the stock went back already, then that is announced again; a marker or a rejection held nothing', () => {
    expect(decideRelease({ status: 'RELEASED', paymentId: 'x', lines, unavailable: [] })).toBe('announce');
    expect(decideRelease({ status: 'RELEASED', paymentId: null, lines: [], unavailable: [] })).toBe('nothing');
    expect(decideRelease({ status: 'REJECTED', paymentId: 'x', lines, unavailable: [] })).toBe('nothing');
  });
});
