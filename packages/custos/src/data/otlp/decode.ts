// The one entry point for a trace export body, whichever encoding it came in.
import { decodeJsonTraces } from './decode-json.ts';
import { decodeProtobufTraces } from './decode-protobuf.ts';
import type { DecodedTraces, OtlpFormat } from './types.ts';

/**
 * Throws AppError('invalid_request') for a body that is not a valid request of that format;
 * the message never carries body content. Spans that are well-formed but unusable (bad ids,
 * kind or status code) are counted in rejectedSpans instead, as OTLP's partial success asks.
 */
export function decodeTraceRequest(body: Buffer, format: OtlpFormat): DecodedTraces {
  return format === 'json' ? decodeJsonTraces(body) : decodeProtobufTraces(body);
}
