// Schema pieces more than one route uses.
import { z } from 'zod';

/** A name stored in a clear text column (a model, a service): Postgres text cannot hold NUL. */
export function label(max = 200) {
  return z.string().min(1).max(max).refine((text) => !text.includes('\u0000'), 'must not contain NUL characters');
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
