import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { decodeCursor, encodeCursor } from './cursor.ts';
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
});
