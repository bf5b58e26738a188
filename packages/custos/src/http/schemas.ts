// Schema pieces more than one route uses.
import { z } from 'zod';
import { DEFAULT_PAGE, MAX_PAGE } from '../data/index.ts';

/** Text stored in a clear text column (a name, a model, a service): Postgres text cannot hold NUL. */
export function clearText(max = 200) {
  return z.string().max(max).refine((text) => !text.includes('\u0000'), 'must not contain NUL characters');
}

/** A name stored in clear: not empty, no NUL. */
export function label(max = 200) {
  return clearText(max).min(1);
}

/** How deep JSON content may nest: deeper values would overflow the recursion that reads them back. */
export const MAX_JSON_DEPTH = 64;

/** Whether a parsed JSON value nests no deeper than `max` arrays and objects (checked without recursion). */
export function nestsWithin(value: unknown, max = MAX_JSON_DEPTH): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop()!;
    if (typeof item !== 'object' || item === null) continue;
    if (depth >= max) return false;
    for (const child of Object.values(item)) stack.push([child, depth + 1]);
  }
  return true;
}

/** A cursor page of a list: `{items, nextCursor}` (DESIGN.md, API conventions). */
export function page<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable() });
}

/** The query of a paged list; a route with filters extends it. */
export const pageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(MAX_PAGE).default(DEFAULT_PAGE),
  cursor: z.string().max(512).optional(),
}).strict();
