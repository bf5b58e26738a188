// Cursors of list pages: opaque to clients (base64url of the last row's sort key), checked on the
// way back in, so that a forged or truncated cursor is a 400, never a SQL error.
import { sql } from 'kysely';
import { z } from 'zod';
import { AppError } from '../core/errors.ts';

export function encodeCursor(key: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

export function decodeCursor<T extends z.ZodType>(cursor: string | undefined, shape: T): z.infer<T> | undefined {
  if (cursor === undefined) return undefined;
  try {
    const parsed = shape.safeParse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
    if (parsed.success) return parsed.data;
  } catch {
    // not JSON: the same answer as any other cursor we did not give
  }
  throw new AppError('invalid_request', 'the cursor is not one this server gave');
}

/** Page size: the caller's, within bounds (zod has checked the range). */
export const DEFAULT_PAGE = 50;
export const MAX_PAGE = 200;

// Lists newest first page on (created_at, id). Postgres keeps microseconds and a JS Date
// milliseconds: the cursor carries the exact time as text.
const exactTime = z.string().regex(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/)
  .refine((text) => text >= '0001' && new Date(Date.parse(text)).toISOString().slice(0, 19) === text.slice(0, 19), 'not a real time');

/** The cursor of a newest-first list: the last row's exact creation time and id. */
export const createdCursor = z.tuple([exactTime, z.uuid()]);

/** Select it `.as('position')` to build the next cursor from the last row. */
export const exactCreatedAt = sql<string>`to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/** The rows after a cursor in newest-first order (a row comparison, which the (created_at, id) index serves). */
export function createdBefore([createdAt, id]: z.infer<typeof createdCursor>) {
  return sql<boolean>`(created_at, id) < (${createdAt}::timestamptz, ${id}::uuid)`;
}
