import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { decodeCursor, encodeCursor, pageOf } from './cursor.ts';
import { HttpProblem } from './problem.ts';

const Position = z.object({ name: z.string(), id: z.string() });

describe('cursors', () => {
  it('when a cursor this API made comes back, then it decodes to the same position', () => {
    expect(decodeCursor(encodeCursor({ name: 'Ä b', id: 'p-1' }), Position)).toEqual({ name: 'Ä b', id: 'p-1' });
  });

  it('when a cursor is tampered with, then it is a 400 naming the cursor parameter', () => {
    for (const bad of ['abc', encodeCursor({ name: 1 }), encodeCursor('x')]) {
      let thrown: unknown;
      try {
        decodeCursor(bad, Position);
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(HttpProblem);
      expect((thrown as HttpProblem).problem).toMatchObject({ status: 400, errors: [{ path: 'query.cursor' }] });
    }
  });

  it('when a listing read one row more than a page, then the page ends with a cursor at its last row; without more rows, none', () => {
    const rows = [{ id: 'a' }, { id: 'b' }, { id: 'c' }];
    const page = pageOf(rows, 2, (last) => ({ name: last.id, id: last.id }));
    expect(page.items).toEqual(rows.slice(0, 2));
    expect(decodeCursor(page.nextCursor!, Position)).toEqual({ name: 'b', id: 'b' });
    expect(pageOf(rows, 3, (last) => last).nextCursor).toBeNull();
  });
});
