// The public face of data/otlp/: decoding OTLP/HTTP trace exports and encoding the answers.
export { decodeTraceRequest } from './decode.ts';
export { encodeExportResponse, encodeStatus } from './encode.ts';
export {
  attributeValue,
  type AnyValue,
  type DecodedEvent,
  type DecodedLink,
  type DecodedResource,
  type DecodedScope,
  type DecodedSpan,
  type DecodedTraces,
  type KeyValue,
  type NonFiniteDouble,
  type OtlpFormat,
} from './types.ts';
