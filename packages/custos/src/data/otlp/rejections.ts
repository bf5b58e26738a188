// Which spans of an otherwise well-formed request custos refuses, and the partial-success
// message that says so. The message carries counts and reasons only: never span content,
// because it goes back to the sender and into logs.

const ZERO_TRACE_ID = '0'.repeat(32);
const ZERO_SPAN_ID = '0'.repeat(16);
const MAX_KIND = 5;
const MAX_STATUS_CODE = 2;

export type RejectReason = 'trace id' | 'span id' | 'parent span id' | 'link id' | 'kind' | 'status code';

/**
 * Why a span cannot be stored, or null when it can. Ids are lowercase hex, or null when the
 * JSON form was not hex at all; the parent is '' for a root span.
 */
export function spanProblem(
  traceId: string | null, spanId: string | null, parentSpanId: string | null, kind: number, statusCode: number,
): RejectReason | null {
  if (traceId === null || traceId.length !== 32 || traceId === ZERO_TRACE_ID) return 'trace id';
  if (spanId === null || spanId.length !== 16 || spanId === ZERO_SPAN_ID) return 'span id';
  if (parentSpanId === null || (parentSpanId.length !== 0 && parentSpanId.length !== 16)) return 'parent span id';
  if (!(kind >= 0 && kind <= MAX_KIND)) return 'kind';
  if (!(statusCode >= 0 && statusCode <= MAX_STATUS_CODE)) return 'status code';
  return null;
}

/** A root span's parent: none, whether sent empty or as the all-zero id (which names no span). */
export function parentOf(parentSpanId: string): string | null {
  return parentSpanId === '' || parentSpanId === ZERO_SPAN_ID ? null : parentSpanId;
}

export class Rejections {
  count = 0;
  private readonly reasons = new Map<RejectReason, number>();

  add(reason: RejectReason): void {
    this.count++;
    this.reasons.set(reason, (this.reasons.get(reason) ?? 0) + 1);
  }

  /** e.g. "2 spans with an invalid trace id; 1 span with an invalid kind", or '' when none. */
  message(): string {
    const parts: string[] = [];
    for (const [reason, count] of this.reasons) parts.push(`${count} ${count === 1 ? 'span' : 'spans'} with an invalid ${reason}`);
    return parts.join('; ');
  }
}
