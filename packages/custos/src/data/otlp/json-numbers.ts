// Exact integers from OTLP/JSON. JSON.parse turns every number literal into a double, which
// is exact only up to 2^53, while OTLP times reach 2^64-1 and intValue spans int64. Senders
// are told to quote 64-bit values, but need not, so an unquoted one above 2^53 in a 64-bit
// field sends the decoder back to parse again with a reviver that keeps such literals'
// source text (JSON.parse's context.source, Node 21+), read exactly below. Only then: the
// reviver makes parsing about six times slower, and the SDKs quote their times.
// What the fast pass accepts as is: a literal whose double is a safe integer. That is exact
// for every integer literal; only a literal with 17 or more significant digits and a
// fraction ("1.00000000000000001") could round onto an integer, and it is taken as that one.

/** An unquoted number literal that a double cannot hold exactly, as it was written. */
export class NumberLiteral {
  readonly value: number;
  readonly source: string;

  constructor(value: number, source: string) {
    this.value = value;
    this.source = source;
  }
}

/** Thrown by the fast pass when it meets a number it cannot read exactly. */
export const NEEDS_SOURCE_TEXT = Symbol('needs source text');

type Reviver = (this: unknown, key: string, value: unknown, context?: { source?: string }) => unknown;

const keepUnsafeIntegers: Reviver = (_key, value, context) =>
  typeof value === 'number' && Number.isInteger(value) && !Number.isSafeInteger(value) && context?.source !== undefined
    ? new NumberLiteral(value, context.source)
    : value;

export function parseJsonExact(text: string): unknown {
  return JSON.parse(text, keepUnsafeIntegers as (this: unknown, key: string, value: unknown) => unknown);
}

const LITERAL = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;
// 10^40 is far outside 64 bits: anything that large is returned as 10^40 rather than
// computed, which keeps a hostile 100 000-digit literal cheap.
const MAX_EXPONENT = 40;
const OUT_OF_RANGE = 10n ** BigInt(MAX_EXPONENT);

/**
 * The integer a JSON number literal (or a quoted one, which proto3 JSON allows) denotes
 * exactly, or null when it is not an integer ("1.5", "1e-1", "abc"). "1.0" and "1e3" count.
 */
export function integerFromLiteral(text: string): bigint | null {
  const match = LITERAL.exec(text);
  if (!match) return null;
  const [, sign, whole = '', fraction = '', exponentText] = match;
  let digits = whole + fraction;
  let exponent = (exponentText === undefined ? 0 : Number(exponentText)) - fraction.length;
  const trimmed = digits.replace(/0+$/, '');
  if (trimmed.length === 0) return 0n;
  exponent += digits.length - trimmed.length;
  digits = trimmed;
  if (exponent < 0) return null;
  if (exponent + digits.length > MAX_EXPONENT) return sign ? -OUT_OF_RANGE : OUT_OF_RANGE;
  const magnitude = BigInt(digits) * 10n ** BigInt(exponent);
  return sign ? -magnitude : magnitude;
}
