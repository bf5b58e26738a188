// Hot path: spans arriving from OpenTelemetry exporters. Batches of 512 spans (the SDK's default
// batch size) recorded with the real SDK and encoded by the real exporter's protobuf serializer,
// POSTed to /otlp/v1/traces with an API key: authentication, protobuf decoding, one sealed
// envelope per span, the multi-row INSERT under RLS with the traces' summary rows, and the audit
// entry, answered after the commit. Also timed without HTTP (decode and store only). Baseline,
// same run: a plain INSERT of the same span rows (same columns, the content as plain JSON) into
// an unprotected twin table, timed in alternation with ours (one batch of each in turn).
import http from 'node:http';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { sql } from 'kysely';
import { createApp } from '../packages/custos/src/app.ts';
import { decodeTraceRequest } from '../packages/custos/src/data/otlp/index.ts';
import { spanColumns, spanContent } from '../packages/custos/src/data/traces/span-row.ts';
import { benchApp } from './bench-app.ts';
import { measureInterleaved, report, type Measurement } from './measure.ts';

const BATCH = 512;
const BATCHES = Number(process.env.BENCH_BATCHES ?? 60);

/** One batch of an agent's spans: a root per 8 spans, LLM calls with GenAI attributes, tool calls. */
async function recordBatch(): Promise<Uint8Array> {
  const memory = new InMemorySpanExporter();
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'agent-api', 'service.version': '1.4.2', 'deployment.environment': 'production', 'host.name': 'agent-7f9c' }),
    spanProcessors: [new SimpleSpanProcessor({ exporter: memory })],
  });
  const tracer = provider.getTracer('agent-framework', '0.9.1');
  for (let i = 0; i < BATCH / 8; i++) {
    tracer.startActiveSpan('agent run', { kind: SpanKind.SERVER, attributes: { 'http.route': '/v1/chat', 'user.tier': 'pro', 'session.turn': i } }, (root) => {
      const parent = trace.setSpan(context.active(), root);
      for (let j = 0; j < 7; j++) {
        const llm = j % 2 === 0;
        const span = tracer.startSpan(llm ? 'chat gpt-5' : 'execute_tool search', {
          kind: llm ? SpanKind.CLIENT : SpanKind.INTERNAL,
          attributes: llm
            ? { 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-5', 'gen_ai.response.model': 'gpt-5-2026-08', 'gen_ai.usage.input_tokens': 812 + j, 'gen_ai.usage.output_tokens': 120 + j, 'gen_ai.request.temperature': 0.2, 'gen_ai.response.finish_reasons': ['stop'] }
            : { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'search', 'tool.query': `weather in city ${i}-${j}`, 'tool.results': 5 },
        }, parent);
        if (llm) span.addEvent('gen_ai.choice', { index: 0, 'finish_reason': 'stop' });
        if (j === 6) span.setStatus({ code: SpanStatusCode.ERROR, message: 'tool timed out' });
        span.end();
      }
      root.end();
    });
  }
  await provider.forceFlush(); // SimpleSpanProcessor exports asynchronously
  const spans = memory.getFinishedSpans();
  if (spans.length !== BATCH) throw new Error(`recorded ${spans.length} spans, not ${BATCH}`);
  return ProtobufTraceSerializer.serializeRequest(spans)!;
}

export async function benchIngestOtlp(): Promise<void> {
  const bench = await benchApp(createApp);
  const { app, port, key, engine, principal } = bench;
  try {
    // Distinct spans in every batch: a batch sent twice would be stored once (retries are safe), and measure nothing.
    const warmup = Math.max(10, Math.floor(BATCHES / 10));
    const batches: Uint8Array[] = [];
    for (let i = 0; i < 3 * (warmup + BATCHES); i++) batches.push(await recordBatch());
    const bytes = Math.round(batches.reduce((sum, b) => sum + b.length, 0) / batches.length);
    let next = 0;
    const take = () => batches[next++ % batches.length]!;

    const db = app.database.db;
    const plain = async () => {
      const rows = decodeTraceRequest(Buffer.from(take()), 'protobuf').spans;
      const c = rows.map(spanColumns);
      const col = <K extends keyof (typeof c)[number]>(k: K) => c.map((row) => row[k]);
      const contents = rows.map((span) => JSON.stringify(spanContent(span)));
      const started = performance.now();
      await sql`insert into bench_spans_plain (trace_id, span_id, parent_span_id, kind, start_time_unix_nano, end_time_unix_nano, status_code, service_name, operation, provider, model, input_tokens, output_tokens, content)
        select * from unnest(${col('traceId')}::text[], ${col('spanId')}::text[], ${col('parentSpanId')}::text[], ${col('kind')}::int[], ${col('startTimeUnixNano')}::bigint[], ${col('endTimeUnixNano')}::bigint[],
                             ${col('statusCode')}::int[], ${col('serviceName')}::text[], ${col('operation')}::text[], ${col('provider')}::text[], ${col('model')}::text[],
                             ${col('inputTokens')}::bigint[], ${col('outputTokens')}::bigint[], ${contents}::text[])`.execute(db);
      return performance.now() - started;
    };
    const agent = new http.Agent({ keepAlive: true });
    const post = (body: Uint8Array) => new Promise<void>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, path: '/otlp/v1/traces', method: 'POST', agent, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/x-protobuf', 'content-length': body.length } }, (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`status ${res.statusCode}`))));
      });
      req.on('error', reject);
      req.end(body);
    });
    // The baseline's decoding is outside its timing: only its INSERT is the baseline.
    const [base, service, ours] = await measureInterleaved([
      { name: `plain INSERT of the same ${BATCH} rows`, op: plain },
      { name: 'decode + store (no HTTP)', op: () => app.data.traces.ingest(principal, decodeTraceRequest(Buffer.from(take()), 'protobuf')).then(() => undefined) },
      { name: `POST /otlp/v1/traces, ${BATCH} spans, protobuf (${Math.round(bytes / 1024)} KiB)`, op: () => post(take()) },
    ], BATCHES) as [Measurement, Measurement, Measurement];
    agent.destroy();
    report(`OTLP span ingest on ${engine}, batches of ${BATCH} (${BATCHES} batches)`, base, [service, ours]);
    const rate = (m: { opsPerSecond: number }) => Math.round(m.opsPerSecond * BATCH);
    process.stdout.write(`spans/s: plain INSERT ${rate(base)}, decode + store ${rate(service)} (ratio ${(service.opsPerSecond / base.opsPerSecond).toFixed(2)}), over HTTP ${rate(ours)} (ratio ${(ours.opsPerSecond / base.opsPerSecond).toFixed(2)})\n`);
  } finally {
    await bench.close();
  }
}
