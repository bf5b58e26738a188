// The bodies custos answers an OTLP/HTTP export with, in the encoding of the request
// (the OTLP/HTTP spec requires the response to match it).
import { ExportTraceServiceResponse, RpcStatus } from './schema.ts';
import type { OtlpFormat } from './types.ts';

/** The success body: an ExportTraceServiceResponse, with partial_success only when rejectedSpans > 0. */
export function encodeExportResponse(format: OtlpFormat, rejectedSpans: number, errorMessage: string): Buffer {
  // An all-zero partial_success that is present makes some exporters log a warning per
  // export, so full success is the empty message: no bytes, or {}.
  if (rejectedSpans <= 0) return format === 'json' ? Buffer.from('{}') : Buffer.alloc(0);
  const partialSuccess: { rejectedSpans: number; errorMessage?: string } = { rejectedSpans };
  if (errorMessage !== '') partialSuccess.errorMessage = errorMessage;
  if (format === 'json') {
    // int64 is a string in proto3 JSON.
    return Buffer.from(JSON.stringify({ partialSuccess: { ...partialSuccess, rejectedSpans: String(rejectedSpans) } }));
  }
  return toBuffer(ExportTraceServiceResponse.encode(ExportTraceServiceResponse.create({ partialSuccess })).finish());
}

/** A google.rpc.Status body for failures: code is the gRPC code number (3 for INVALID_ARGUMENT). */
export function encodeStatus(format: OtlpFormat, code: number, message: string): Buffer {
  if (format === 'json') return Buffer.from(JSON.stringify({ code, message }));
  return toBuffer(RpcStatus.encode(RpcStatus.create({ code, message })).finish());
}

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
}
