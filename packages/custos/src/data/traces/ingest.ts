// Bulk ingest of decoded spans (P-DAT-2): one tenant transaction per export request, sealing every
// span's content, then one statement that inserts the spans and folds them into their traces'
// summary rows. A span sent twice (an exporter retrying after a lost answer) is stored once and
// counted once, so retries are safe. Spans go in chunks: the next chunk is sealed while the
// database stores the previous one.
import { sql, type Transaction } from 'kysely';
import type { Sealer } from '../../crypto/index.ts';
import type { DecodedSpan } from '../otlp/index.ts';
import { byteaArray, dispatched } from '../sql-bytes.ts';
import type { DataTables } from '../tables.ts';
import { spanColumns, spanContent } from './span-row.ts';

export function spanContentContext(tenantId: string, traceId: string, spanId: string) {
  return { tenantId, table: 'spans', column: 'content', rowId: `${traceId}:${spanId}` };
}

export interface Inserted {
  /** Spans new to the store (a span already stored is not counted again). */
  spans: number;
  traces: number;
}

const CHUNK = 128;
const MAX_BIGINT = sql.raw('9223372036854775807');

// Rows of spans and traces are locked in (trace id, span id) order, in every request: two exports
// touching the same traces then wait for each other instead of deadlocking.
const byIds = (a: DecodedSpan, b: DecodedSpan) =>
  a.traceId < b.traceId ? -1 : a.traceId > b.traceId ? 1 : a.spanId < b.spanId ? -1 : a.spanId > b.spanId ? 1 : 0;

export async function insertSpans(trx: Transaction<DataTables>, sealer: Sealer, tenantId: string, spans: readonly DecodedSpan[]): Promise<Inserted> {
  const sealFor = await sealer.sealerFor(trx, tenantId);
  const ordered = [...spans].sort(byIds);
  const total: Inserted = { spans: 0, traces: 0 };
  let previous: Promise<Inserted> | undefined;
  for (let start = 0; start < ordered.length; start += CHUNK) {
    const chunk = ordered.slice(start, start + CHUNK);
    const contents = chunk.map((span) => sealFor(spanContentContext(tenantId, span.traceId, span.spanId), Buffer.from(JSON.stringify(spanContent(span)))));
    const statement = insertChunk(trx, tenantId, chunk, contents);
    // Awaited below; handled now, so that a failure while the next chunk is sealed is not an unhandled rejection.
    statement.catch(() => undefined);
    if (previous) {
      try {
        add(total, await previous);
      } catch (err) {
        // Let the statement already sent finish (it fails too) before the transaction rolls back.
        await statement.catch(() => undefined);
        throw err;
      }
    }
    previous = statement;
    await dispatched();
  }
  if (previous) add(total, await previous);
  return total;
}

function add(total: Inserted, more: Inserted): void {
  total.spans += more.spans;
  total.traces += more.traces;
}

async function insertChunk(trx: Transaction<DataTables>, tenantId: string, spans: readonly DecodedSpan[], contents: Buffer[]): Promise<Inserted> {
  const rows = spans.map(spanColumns);
  const column = <K extends keyof (typeof rows)[number]>(key: K) => rows.map((row) => row[key]);
  const { rows: [result] } = await sql<Inserted>`
    with input as (
      select * from unnest(
        ${column('traceId')}::text[], ${column('spanId')}::text[], ${column('parentSpanId')}::text[], ${column('kind')}::int[],
        ${column('startTimeUnixNano')}::bigint[], ${column('endTimeUnixNano')}::bigint[], ${column('statusCode')}::int[],
        ${column('serviceName')}::text[], ${column('operation')}::text[], ${column('provider')}::text[], ${column('model')}::text[],
        ${column('inputTokens')}::bigint[], ${column('outputTokens')}::bigint[], ${byteaArray(contents)}
      ) as s(trace_id, span_id, parent_span_id, kind, start_ns, end_ns, status_code, service_name, operation, provider, model, input_tokens, output_tokens, content)
    ), inserted as (
      insert into spans (tenant_id, trace_id, span_id, parent_span_id, kind, start_time_unix_nano, end_time_unix_nano, status_code,
                         service_name, operation, provider, model, input_tokens, output_tokens, content)
      select ${tenantId}::uuid, trace_id, span_id, parent_span_id, kind, start_ns, end_ns, status_code,
             service_name, operation, provider, model, input_tokens, output_tokens, content
        from input
      on conflict (tenant_id, trace_id, span_id) do nothing
      returning trace_id, span_id, parent_span_id, start_time_unix_nano, end_time_unix_nano, status_code, service_name, model, input_tokens, output_tokens
    ), folded as (
      insert into traces as t (tenant_id, trace_id, start_time_unix_nano, end_time_unix_nano, span_count, error_count, root_span_id, services, models, input_tokens, output_tokens)
      select ${tenantId}::uuid, trace_id, min(start_time_unix_nano), max(end_time_unix_nano), count(*), count(*) filter (where status_code = 2),
             min(span_id) filter (where parent_span_id is null),
             coalesce(array_agg(distinct service_name) filter (where service_name is not null), '{}'),
             coalesce(array_agg(distinct model) filter (where model is not null), '{}'),
             least(coalesce(sum(input_tokens), 0), ${MAX_BIGINT})::bigint, least(coalesce(sum(output_tokens), 0), ${MAX_BIGINT})::bigint
        from inserted group by trace_id order by trace_id
      on conflict (tenant_id, trace_id) do update set
        start_time_unix_nano = least(t.start_time_unix_nano, excluded.start_time_unix_nano),
        end_time_unix_nano = greatest(t.end_time_unix_nano, excluded.end_time_unix_nano),
        span_count = t.span_count + excluded.span_count,
        error_count = t.error_count + excluded.error_count,
        root_span_id = coalesce(t.root_span_id, excluded.root_span_id),
        services = array(select distinct unnest(t.services || excluded.services) order by 1),
        models = array(select distinct unnest(t.models || excluded.models) order by 1),
        input_tokens = least(t.input_tokens::numeric + excluded.input_tokens, ${MAX_BIGINT})::bigint,
        output_tokens = least(t.output_tokens::numeric + excluded.output_tokens, ${MAX_BIGINT})::bigint,
        updated_at = now()
      returning 1
    )
    select (select count(*) from inserted)::int as spans, (select count(*) from folded)::int as traces`.execute(trx);
  return result!;
}
