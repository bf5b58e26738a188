// Reading traces back: pages of trace summaries (filtered by time, service and model) and one
// trace's spans as a tree. Sealed span content is opened inside the tenant transaction.
import { sql, type Transaction } from 'kysely';
import { z } from 'zod';
import type { Sealer } from '../../crypto/index.ts';
import { decodeCursor, encodeCursor } from '../cursor.ts';
import type { DataTables, SpansTable } from '../tables.ts';
import { spanContentContext } from './ingest.ts';
import type { SpanContent } from './span-row.ts';

export interface TraceFilters {
  from?: Date;
  to?: Date;
  service?: string;
  model?: string;
  limit: number;
  cursor?: string;
}

export interface TraceSummary {
  traceId: string;
  /** The root span's name (null until the root span has arrived). */
  name: string | null;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  startTime: Date;
  spanCount: number;
  errorCount: number;
  services: string[];
  models: string[];
  inputTokens: number;
  outputTokens: number;
}

export interface SpanNode extends Omit<SpanContent, 'statusMessage'> {
  spanId: string;
  parentSpanId: string | null;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  status: { code: number; message: string };
  serviceName: string | null;
  operation: string | null;
  provider: string | null;
  model: string | null;
  inputTokens: number | null;
  outputTokens: number | null;
  children: SpanNode[];
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const startCursor = z.tuple([
  z.string().regex(/^-?\d{1,19}$/).refine((text) => BigInt(text) >= INT64_MIN && BigInt(text) <= INT64_MAX),
  z.string().regex(/^[0-9a-f]{32}$/),
]);
/** A filter time in nanoseconds, clamped to what the bigint columns can hold (the years 1677 to 2262). */
function nanos(date: Date): string {
  const value = BigInt(date.getTime()) * 1_000_000n;
  return (value < INT64_MIN ? INT64_MIN : value > INT64_MAX ? INT64_MAX : value).toString();
}

export async function listTraces(trx: Transaction<DataTables>, sealer: Sealer, tenantId: string, filters: TraceFilters) {
  const after = decodeCursor(filters.cursor, startCursor);
  let query = trx.selectFrom('traces').selectAll().orderBy('start_time_unix_nano', 'desc').orderBy('trace_id', 'desc').limit(filters.limit + 1);
  if (filters.from) query = query.where('start_time_unix_nano', '>=', nanos(filters.from));
  if (filters.to) query = query.where('start_time_unix_nano', '<', nanos(filters.to));
  if (filters.service) query = query.where(sql<boolean>`${filters.service} = any(services)`);
  if (filters.model) query = query.where(sql<boolean>`${filters.model} = any(models)`);
  if (after) {
    const [start, traceId] = after;
    query = query.where((eb) => eb.or([
      eb('start_time_unix_nano', '<', start),
      eb.and([eb('start_time_unix_nano', '=', start), eb('trace_id', '<', traceId)]),
    ]));
  }
  const rows = await query.execute();
  const page = rows.slice(0, filters.limit);
  const roots = page.filter((row) => row.root_span_id !== null);
  const rootSpans = roots.length === 0 ? [] : await trx.selectFrom('spans').select(['trace_id', 'span_id', 'content'])
    .where((eb) => eb.or(roots.map((row) => eb.and([eb('trace_id', '=', row.trace_id), eb('span_id', '=', row.root_span_id!)]))))
    .execute();
  const openFor = await sealer.openerFor(trx, tenantId);
  const names = new Map<string, string>();
  for (const span of rootSpans) {
    const content = JSON.parse((await openFor(spanContentContext(tenantId, span.trace_id, span.span_id), span.content)).toString('utf8')) as SpanContent;
    names.set(span.trace_id, content.name);
  }
  const last = page.at(-1);
  return {
    items: page.map((row): TraceSummary => ({
      traceId: row.trace_id,
      name: names.get(row.trace_id) ?? null,
      startTimeUnixNano: row.start_time_unix_nano,
      endTimeUnixNano: row.end_time_unix_nano,
      startTime: new Date(Number(BigInt(row.start_time_unix_nano) / 1_000_000n)),
      spanCount: row.span_count,
      errorCount: row.error_count,
      services: row.services,
      models: row.models,
      inputTokens: Number(row.input_tokens),
      outputTokens: Number(row.output_tokens),
    })),
    nextCursor: rows.length > filters.limit && last ? encodeCursor([last.start_time_unix_nano, last.trace_id]) : null,
  };
}

/** The trace's spans as a tree (children by start time); a span whose parent has not arrived is a root. Null: no such trace. */
export async function traceTree(trx: Transaction<DataTables>, sealer: Sealer, tenantId: string, traceId: string): Promise<SpanNode[] | null> {
  const rows = await trx.selectFrom('spans').selectAll().where('trace_id', '=', traceId)
    .orderBy('start_time_unix_nano').orderBy('span_id').execute();
  if (rows.length === 0) return null;
  const openFor = await sealer.openerFor(trx, tenantId);
  const nodes = await Promise.all(rows.map(async (row) => toNode(row, JSON.parse((await openFor(spanContentContext(tenantId, row.trace_id, row.span_id), row.content)).toString('utf8')) as SpanContent)));
  const byId = new Map(nodes.map((node) => [node.spanId, node]));
  const roots: SpanNode[] = [];
  for (const node of nodes) {
    const parent = node.parentSpanId ? byId.get(node.parentSpanId) : undefined;
    if (parent && mayAttach(parent, node.spanId, byId)) parent.children.push(node);
    else roots.push(node);
  }
  return roots;
}

// Parent ids come from the sender: a span that is its own ancestor (a cycle) would make a tree
// that never ends, and a chain thousands deep would overflow whoever walks it recursively, so
// such a span becomes a root instead.
const MAX_DEPTH = 256;

function mayAttach(parent: SpanNode, spanId: string, byId: Map<string, SpanNode>): boolean {
  let depth = 0;
  for (let at: SpanNode | undefined = parent; at; at = at.parentSpanId ? byId.get(at.parentSpanId) : undefined) {
    if (at.spanId === spanId || ++depth > MAX_DEPTH) return false;
  }
  return true;
}

function toNode(row: Omit<SpansTable, 'received_at'>, content: SpanContent): SpanNode {
  const { statusMessage, ...rest } = content;
  return {
    spanId: row.span_id,
    parentSpanId: row.parent_span_id,
    ...rest,
    kind: row.kind,
    startTimeUnixNano: row.start_time_unix_nano,
    endTimeUnixNano: row.end_time_unix_nano,
    status: { code: row.status_code, message: statusMessage },
    serviceName: row.service_name,
    operation: row.operation,
    provider: row.provider,
    model: row.model,
    inputTokens: row.input_tokens === null ? null : Number(row.input_tokens),
    outputTokens: row.output_tokens === null ? null : Number(row.output_tokens),
    children: [],
  };
}
