import type { z } from 'zod';
import { HttpProblem } from './problem.ts';

/** Encodes a position in a listing as an opaque, URL-safe cursor. */
export const encodeCursor = (position: unknown) => Buffer.from(JSON.stringify(position)).toString('base64url');

/** Decodes a cursor made by `encodeCursor`; anything else is a 400 naming the `cursor` parameter. */
export function decodeCursor<S extends z.ZodType>(cursor: string, schema: S): z.infer<S> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    value = undefined;
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw HttpProblem.of('validation-error', 'query.cursor: is not a cursor this API returned', {
      errors: [{ path: 'query.cursor', message: 'is not a cursor this API returned' }],
    });
  }
  return parsed.data;
}

/**
 * One page of a listing read with `limit + 1` rows: the first `limit` rows and, when there were more, the cursor of
 * the last row shown.
 */
export function pageOf<T>(rows: T[], limit: number, positionOf: (last: T) => unknown): { items: T[]; nextCursor: string | null } {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items, nextCursor: rows.length > limit && last !== undefined ? encodeCursor(positionOf(last)) : null };
}
