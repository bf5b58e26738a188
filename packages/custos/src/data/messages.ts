// Messages of a conversation (P-DAT-3): appended one at a time or in batches of up to 1,000, each
// with its position (seq) in the conversation, an optional parent for branching, and content
// sealed under the workspace's data key. An append is one short transaction: take the next
// positions under the conversation's row lock, seal, and insert every row in one statement.
import { sql, type Transaction } from 'kysely';
import { z } from 'zod';
import { AppError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import { withTenant } from '../db/tenant.ts';
import type { Principal } from '../core/principal.ts';
import { recordDataEvent } from './audit.ts';
import { conversationNotFound, type Page, type Written } from './conversations.ts';
import { decodeCursor, encodeCursor } from './cursor.ts';
import { claimIdempotencyKey, type IdempotencyRequest } from './idempotency.ts';
import { isForeignKeyViolation } from '../db/pg-errors.ts';
import { byteaArray } from './sql-bytes.ts';
import type { DataTables, MessagesTable } from './tables.ts';
import { DataService } from './service.ts';

export const MESSAGE_ROLES = ['system', 'developer', 'user', 'assistant', 'tool'] as const;
export type MessageRole = (typeof MESSAGE_ROLES)[number];
/** Text, or structured content (parts, tool calls) as any JSON array or object. */
export type MessageContent = string | unknown[] | Record<string, unknown>;

export interface MessageInput {
  role: MessageRole;
  content: MessageContent;
  parentId?: string;
  model?: string;
  inputTokens?: number;
  outputTokens?: number;
}

export interface MessageView {
  id: string;
  conversationId: string;
  seq: number;
  parentId: string | null;
  role: string;
  content: MessageContent;
  model: string | null;
  inputTokens: number | null;
  outputTokens: number | null;
  createdBy: string | null;
  createdAt: Date;
}

type MessageRow = Omit<MessagesTable, 'tenant_id' | 'created_at'> & { created_at: Date };

const COLUMNS = ['id', 'conversation_id', 'seq', 'parent_id', 'role', 'content', 'model', 'input_tokens', 'output_tokens', 'created_by', 'created_at'] as const;
const seqCursor = z.tuple([z.number().int().nonnegative()]);
const messageNotFound = () => new AppError('not_found', 'no such message');

export class Messages extends DataService {

  async append(principal: Principal, conversationId: string, inputs: readonly MessageInput[], idempotency?: IdempotencyRequest): Promise<Written<MessageView[]>> {
    const tenantId = principal.workspaceId;
    const ids = inputs.map(() => newId());
    return withTenant(this.db, tenantId, async (trx) => {
      const first = idempotency ? await claimIdempotencyKey(trx, this.sealer, tenantId, idempotency, { conversationId, ids }) : null;
      if (first) {
        const again = await this.#byIds(trx, tenantId, first.conversationId, first.ids);
        if (again.length !== first.ids.length) throw new AppError('not_found', 'what this Idempotency-Key wrote has since been deleted');
        return { value: again, replayed: true };
      }
      const sealFor = await this.sealer.sealerFor(trx, tenantId);
      const contents = inputs.map((input, i) => sealFor(contentContext(tenantId, ids[i]!), Buffer.from(JSON.stringify(input.content))));
      // One statement: take the next positions under the conversation's row lock and insert every
      // message after them. No conversation, no row taken, nothing inserted.
      let inserted: Array<{ seq: string; created_at: Date }>;
      try {
        inserted = await sql<{ seq: string; created_at: Date }>`
          with taken as (
            update conversations set last_seq = last_seq + ${inputs.length}, message_count = message_count + ${inputs.length}, updated_at = now()
             where id = ${conversationId} returning last_seq - ${inputs.length} as before
          )
          insert into messages (tenant_id, conversation_id, id, seq, parent_id, role, content, model, input_tokens, output_tokens, created_by)
          select ${tenantId}::uuid, ${conversationId}::uuid, m.id, taken.before + m.ord, m.parent_id, m.role, m.content, m.model, m.input_tokens, m.output_tokens, ${principal.personId}::uuid
            from taken, unnest(${ids}::uuid[], ${inputs.map((m) => m.parentId ?? null)}::uuid[], ${inputs.map((m) => m.role)}::text[],
                        ${byteaArray(contents)}, ${inputs.map((m) => m.model ?? null)}::text[],
                        ${inputs.map((m) => m.inputTokens ?? null)}::int[], ${inputs.map((m) => m.outputTokens ?? null)}::int[])
                 with ordinality as m(id, parent_id, role, content, model, input_tokens, output_tokens, ord)
          returning seq, created_at`.execute(trx).then((r) => r.rows);
      } catch (err) {
        if (isForeignKeyViolation(err)) throw new AppError('invalid_request', 'a parentId names no message of this conversation');
        throw err;
      }
      if (inserted.length === 0) throw conversationNotFound();
      const firstSeq = Math.min(...inserted.map((row) => Number(row.seq)));
      const createdAt = inserted[0]!.created_at;
      return {
        value: inputs.map((input, i) => ({
          id: ids[i]!, conversationId, seq: firstSeq + i, parentId: input.parentId ?? null, role: input.role, content: input.content,
          model: input.model ?? null, inputTokens: input.inputTokens ?? null, outputTokens: input.outputTokens ?? null,
          createdBy: principal.personId, createdAt,
        })),
        replayed: false,
      };
    });
  }

  /** In conversation order; the cursor is the last position seen. */
  async list(principal: Principal, conversationId: string, options: { limit: number; cursor?: string }): Promise<Page<MessageView>> {
    const after = decodeCursor(options.cursor, seqCursor)?.[0] ?? 0;
    return withTenant(this.db, principal.workspaceId, async (trx) => {
      const rows = await trx.selectFrom('messages').select(COLUMNS)
        .where('conversation_id', '=', conversationId).where('seq', '>', String(after))
        .orderBy('seq').limit(options.limit + 1).execute();
      if (rows.length === 0) await this.#mustExist(trx, conversationId);
      const page = rows.slice(0, options.limit);
      return {
        items: await this.#open(trx, principal.workspaceId, page),
        nextCursor: rows.length > options.limit ? encodeCursor([Number(page.at(-1)!.seq)]) : null,
      };
    });
  }

  async get(principal: Principal, conversationId: string, id: string): Promise<MessageView> {
    return withTenant(this.db, principal.workspaceId, async (trx) => {
      const [found] = await this.#byIds(trx, principal.workspaceId, conversationId, [id]);
      if (!found) throw messageNotFound();
      return found;
    });
  }

  /** Deletes one message; its replies stay, as roots of their branch (the foreign key sets their parent to null). */
  async delete(principal: Principal, conversationId: string, id: string): Promise<void> {
    await withTenant(this.db, principal.workspaceId, async (trx) => {
      const deleted = await trx.deleteFrom('messages').where('conversation_id', '=', conversationId).where('id', '=', id).returning('id').executeTakeFirst();
      if (!deleted) throw messageNotFound();
      await trx.updateTable('conversations').set({ message_count: sql`message_count - 1`, updated_at: sql`now()` }).where('id', '=', conversationId).execute();
      await recordDataEvent(this.audit, trx, principal, { action: 'message.deleted', targetType: 'message', targetId: id });
    });
  }

  async #byIds(trx: Transaction<DataTables>, tenantId: string, conversationId: string, ids: readonly string[]): Promise<MessageView[]> {
    if (ids.length === 0) return [];
    const rows = await trx.selectFrom('messages').select(COLUMNS)
      .where('conversation_id', '=', conversationId).where('id', 'in', ids).orderBy('seq').execute();
    if (rows.length === 0) await this.#mustExist(trx, conversationId);
    return this.#open(trx, tenantId, rows);
  }

  async #mustExist(trx: Transaction<DataTables>, conversationId: string): Promise<void> {
    const found = await trx.selectFrom('conversations').select('id').where('id', '=', conversationId).executeTakeFirst();
    if (!found) throw conversationNotFound();
  }

  async #open(trx: Transaction<DataTables>, tenantId: string, rows: MessageRow[]): Promise<MessageView[]> {
    const openFor = await this.sealer.openerFor(trx, tenantId);
    return Promise.all(rows.map(async (row) => ({
      id: row.id,
      conversationId: row.conversation_id,
      seq: Number(row.seq),
      parentId: row.parent_id,
      role: row.role,
      content: JSON.parse((await openFor(contentContext(tenantId, row.id), row.content)).toString('utf8')) as MessageContent,
      model: row.model,
      inputTokens: row.input_tokens,
      outputTokens: row.output_tokens,
      createdBy: row.created_by,
      createdAt: row.created_at,
    })));
  }
}

function contentContext(tenantId: string, id: string) {
  return { tenantId, table: 'messages', column: 'content', rowId: id };
}
