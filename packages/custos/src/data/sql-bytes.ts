// Sealed values go to Postgres in bulk as ONE binary bytea parameter (their concatenation) with
// their start positions and lengths, cut apart by the statement. node-postgres sends a Buffer in
// binary format, so nothing is encoded in Node or parsed in Postgres: a text[] of base64 made
// Postgres parse every character of the array literal (0.7 ms of a 100-message append), and a
// bytea[] travels as hex with escaped backslashes, twice the size (BENCHMARKS.md).
import { sql, type RawBuilder } from 'kysely';

/** A bytea[] expression holding `values`, in order. */
export function byteaArray(values: readonly Buffer[]): RawBuilder<Buffer[]> {
  const starts: number[] = [];
  const lengths: number[] = [];
  let next = 1; // substring() counts from 1
  for (const value of values) {
    starts.push(next);
    lengths.push(value.length);
    next += value.length;
  }
  return sql<Buffer[]>`array(select substring(${Buffer.concat(values)}::bytea from p.start for p.length)
    from unnest(${starts}::int[], ${lengths}::int[]) with ordinality as p(start, length, ord) order by p.ord)`;
}

/** Lets a query started without awaiting it be written to the connection before more CPU work. */
export function dispatched(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
