// Sealed values go to Postgres in bulk as one text[] of base64, decoded by the statement: a
// bytea[] parameter travels as hex with escaped backslashes, twice the size, and measured a
// fifth slower for a batch of messages (BENCHMARKS.md).
import { sql, type RawBuilder } from 'kysely';

export function byteaArray(values: readonly Buffer[]): RawBuilder<Buffer[]> {
  return sql<Buffer[]>`${values.map((value) => value.toString('base64'))}::text[]`;
}

/** Lets a query started without awaiting it be written to the connection before more CPU work. */
export function dispatched(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
