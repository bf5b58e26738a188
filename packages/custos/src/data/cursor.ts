// Cursors of list pages: opaque to clients (base64url of the last row's sort key), checked on the
// way back in, so that a forged or truncated cursor is a 400, never a SQL error.
import type { z } from 'zod';
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
