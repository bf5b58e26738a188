// Traces (P-DAT-2): spans arriving over OTLP, stored sealed, read back as pages of traces and as trees.
import { AppError } from '../../core/errors.ts';
import { withTenant } from '../../db/tenant.ts';
import type { Principal } from '../../core/principal.ts';
import { recordDataEvent } from '../audit.ts';
import type { Page } from '../conversations.ts';
import type { DecodedTraces } from '../otlp/index.ts';
import { insertSpans } from './ingest.ts';
import { listTraces, traceTree, type SpanNode, type TraceFilters, type TraceSummary } from './read.ts';
import { timesFit } from './span-row.ts';
import { DataService } from '../service.ts';

export type { SpanNode, TraceFilters, TraceSummary } from './read.ts';

export interface IngestResult {
  /** Spans stored by this request (a span stored before is accepted but not counted again). */
  storedSpans: number;
  rejectedSpans: number;
  errorMessage: string;
}

export interface TraceView {
  traceId: string;
  spans: SpanNode[];
}

const traceNotFound = () => new AppError('not_found', 'no such trace');

export class Traces extends DataService {

  /** Stores an export request's spans and records one audit entry with its counts; resolves after the commit. */
  async ingest(principal: Principal, decoded: DecodedTraces): Promise<IngestResult> {
    const fitting = decoded.spans.filter(timesFit);
    const outOfRange = decoded.spans.length - fitting.length;
    const rejectedSpans = decoded.rejectedSpans + outOfRange;
    const errorMessage = [decoded.errorMessage, outOfRange ? `${outOfRange} spans with a time past the year 2262` : ''].filter(Boolean).join('; ');
    const inserted = await withTenant(this.db, principal.workspaceId, async (trx) => {
      const result = await insertSpans(trx, this.sealer, principal.workspaceId, fitting);
      await recordDataEvent(this.audit, trx, principal, {
        action: 'traces.ingested', targetType: 'workspace', targetId: principal.workspaceId,
        details: { spans: result.spans, traces: result.traces, rejected: rejectedSpans, duplicates: fitting.length - result.spans },
      });
      return result;
    });
    return { storedSpans: inserted.spans, rejectedSpans, errorMessage };
  }

  async list(principal: Principal, filters: TraceFilters): Promise<Page<TraceSummary>> {
    return withTenant(this.db, principal.workspaceId, (trx) => listTraces(trx, this.sealer, principal.workspaceId, filters));
  }

  async get(principal: Principal, traceId: string): Promise<TraceView> {
    const spans = await withTenant(this.db, principal.workspaceId, (trx) => traceTree(trx, this.sealer, principal.workspaceId, traceId));
    if (!spans) throw traceNotFound();
    return { traceId, spans };
  }

  async delete(principal: Principal, traceId: string): Promise<void> {
    await withTenant(this.db, principal.workspaceId, async (trx) => {
      const trace = await trx.deleteFrom('traces').where('trace_id', '=', traceId).returning('span_count').executeTakeFirst();
      const spans = await trx.deleteFrom('spans').where('trace_id', '=', traceId).executeTakeFirst();
      if (!trace && Number(spans.numDeletedRows) === 0) throw traceNotFound();
      await recordDataEvent(this.audit, trx, principal, { action: 'trace.deleted', targetType: 'trace', targetId: traceId, details: { spans: Number(spans.numDeletedRows) } });
    });
  }
}
