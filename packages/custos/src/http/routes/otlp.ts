// The OTLP/HTTP trace receiver (P-DAT-2): what OpenTelemetry exporters send to
// `<endpoint>/v1/traces`, protobuf or JSON, gzip-compressed or not, authenticated by an API key.
// It answers 200 only after the spans have committed, with a partial-success body when some were
// rejected; failures carry a google.rpc.Status for protobuf senders (the OTLP specification) and
// custos's error body for JSON ones.
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, errorBody, type ErrorCode } from '../../core/errors.ts';
import { decodeTraceRequest, encodeExportResponse, encodeStatus, type Data, type OtlpFormat } from '../../data/index.ts';
import { principalOf } from '../auth.ts';
import { prepareErrorReply } from '../plugins/errors.ts';

export const OTLP_TRACES_PATH = '/otlp/v1/traces';
/** The compressed body: real exporters batch up to 512 spans, but one span may carry large attributes. */
export const OTLP_BODY_LIMIT = 16 * 1024 * 1024;
/** The body once decompressed: a small gzip body must not inflate into unbounded memory. */
export const OTLP_DECODED_LIMIT = 64 * 1024 * 1024;

const PROTOBUF = 'application/x-protobuf';
const gunzip = promisify(zlib.gunzip);

// gRPC status codes, which OTLP/HTTP's Status body uses.
const GRPC_CODE: Partial<Record<ErrorCode, number>> = {
  invalid_request: 3, invalid_json: 3, payload_too_large: 3, unsupported_media_type: 3,
  unauthenticated: 16, invalid_credentials: 16,
  forbidden: 7, api_key_required: 7, terms_not_accepted: 7, origin_mismatch: 7,
  not_found: 5, rate_limited: 8,
  not_ready: 14, database_busy: 14, shutting_down: 14, key_unavailable: 14,
};

function formatOf(request: FastifyRequest): OtlpFormat {
  return (request.headers['content-type'] ?? '').toLowerCase().startsWith(PROTOBUF) ? 'protobuf' : 'json';
}

async function decompressed(request: FastifyRequest, body: Buffer): Promise<Buffer> {
  const encoding = (request.headers['content-encoding'] ?? 'identity').toLowerCase().trim();
  if (encoding === 'identity') return body;
  if (encoding !== 'gzip') throw new AppError('unsupported_media_type', 'Content-Encoding must be gzip or none');
  try {
    return await gunzip(body, { maxOutputLength: OTLP_DECODED_LIMIT });
  } catch (err) {
    if (err instanceof RangeError || (err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new AppError('payload_too_large', `the body is larger than ${OTLP_DECODED_LIMIT} bytes once decompressed`);
    }
    throw new AppError('invalid_request', 'the body is not valid gzip');
  }
}

/** The server-wide answer to an unknown content type names JSON only; an exporter may send either. */
function otlpError(err: AppError): AppError {
  const wrongType = err.code === 'unsupported_media_type' && !err.message.includes('Content-Encoding');
  return wrongType ? new AppError('unsupported_media_type', 'send the body as application/x-protobuf or application/json') : err;
}

export function registerOtlpRoutes(app: FastifyInstance, data: Data): void {
  // Its own context: raw-body parsers for both formats and the OTLP error bodies stay here.
  void app.register(async (otlp) => {
    otlp.removeContentTypeParser('application/json');
    otlp.addContentTypeParser([PROTOBUF, 'application/json'], { parseAs: 'buffer', bodyLimit: OTLP_BODY_LIMIT }, (_request, body, done) => done(null, body));

    otlp.setErrorHandler(async (err: unknown, request: FastifyRequest, reply: FastifyReply) => {
      const appError = otlpError(prepareErrorReply(err, request, reply));
      if (formatOf(request) === 'json') return reply.send(errorBody(appError));
      return reply.type(PROTOBUF).send(encodeStatus('protobuf', GRPC_CODE[appError.code] ?? 13, `${appError.code}: ${appError.message}`));
    });

    otlp.post(OTLP_TRACES_PATH, {
      config: { auth: 'api_key' },
      bodyLimit: OTLP_BODY_LIMIT,
      schema: { tags: ['traces'], summary: 'OTLP/HTTP trace export (protobuf or JSON, gzip or not); API key only' },
    }, async (request, reply) => {
      const format = formatOf(request);
      const decoded = decodeTraceRequest(await decompressed(request, request.body as Buffer), format);
      const result = await data.traces.ingest(principalOf(request), decoded);
      return reply.status(200).type(format === 'protobuf' ? PROTOBUF : 'application/json')
        .send(encodeExportResponse(format, result.rejectedSpans, result.errorMessage));
    });
  });
}
