// Conversations (P-DAT-3): threads of messages, in the workspace the caller acts in. Titles are
// sealed under the workspace's data key; ids, counts and times stay clear for listing.
import type { Transaction } from 'kysely';
import { AppError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import { withTenant } from '../db/tenant.ts';
import type { Principal } from '../core/principal.ts';
import { recordDataEvent } from './audit.ts';
import { createdBefore, createdCursor, decodeCursor, encodeCursor, exactCreatedAt } from './cursor.ts';
import { claimIdempotencyKey, type IdempotencyRequest } from './idempotency.ts';
import type { ConversationsTable, DataTables } from './tables.ts';
import { DataService } from './service.ts';

export interface ConversationView {
  id: string;
  title: string | null;
  messageCount: number;
  createdBy: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface Written<T> {
  value: T;
  /** True when an Idempotency-Key replayed an earlier write instead of writing. */
  replayed: boolean;
}

type ConversationRow = Pick<ConversationsTable, 'id' | 'title' | 'created_by'> & { message_count: number; created_at: Date; updated_at: Date };

const COLUMNS = ['id', 'title', 'created_by', 'message_count', 'created_at', 'updated_at'] as const;

export const conversationNotFound = () => new AppError('not_found', 'no such conversation');

export class Conversations extends DataService {

  async create(principal: Principal, input: { title?: string }, idempotency?: IdempotencyRequest): Promise<Written<ConversationView>> {
    const id = newId();
    return withTenant(this.db, principal.workspaceId, async (trx) => {
      const first = idempotency ? await claimIdempotencyKey(trx, this.sealer, principal.workspaceId, idempotency, { id }) : null;
      if (first) return { value: await this.#get(trx, principal.workspaceId, first.id), replayed: true };
      const title = input.title === undefined ? null
        : await this.sealer.seal(trx, this.#titleContext(principal.workspaceId, id), Buffer.from(input.title));
      const row = await trx.insertInto('conversations')
        .values({ tenant_id: principal.workspaceId, id, title, created_by: principal.personId, api_key_id: principal.kind === 'api_key' ? principal.credentialId : null })
        .returning(COLUMNS).executeTakeFirstOrThrow();
      await recordDataEvent(this.audit, trx, principal, { action: 'conversation.created', targetType: 'conversation', targetId: id });
      return { value: { ...this.#view(row), title: input.title ?? null }, replayed: false };
    });
  }

  async list(principal: Principal, options: { limit: number; cursor?: string }): Promise<Page<ConversationView>> {
    const after = decodeCursor(options.cursor, createdCursor);
    return withTenant(this.db, principal.workspaceId, async (trx) => {
      let query = trx.selectFrom('conversations').select([...COLUMNS, exactCreatedAt.as('position')])
        .orderBy('created_at', 'desc').orderBy('id', 'desc').limit(options.limit + 1);
      if (after) query = query.where(createdBefore(after));
      const rows = await query.execute();
      const page = rows.slice(0, options.limit);
      const last = page.at(-1);
      return {
        items: await Promise.all(page.map((row) => this.#open(trx, principal.workspaceId, row))),
        nextCursor: rows.length > options.limit && last ? encodeCursor([last.position, last.id]) : null,
      };
    });
  }

  async get(principal: Principal, id: string): Promise<ConversationView> {
    return withTenant(this.db, principal.workspaceId, (trx) => this.#get(trx, principal.workspaceId, id));
  }

  /** Deletes the conversation and every message in it (the foreign key cascades). */
  async delete(principal: Principal, id: string): Promise<void> {
    await withTenant(this.db, principal.workspaceId, async (trx) => {
      const deleted = await trx.deleteFrom('conversations').where('id', '=', id).returning('message_count').executeTakeFirst();
      if (!deleted) throw conversationNotFound();
      await recordDataEvent(this.audit, trx, principal, { action: 'conversation.deleted', targetType: 'conversation', targetId: id, details: { messages: deleted.message_count } });
    });
  }

  async #get(trx: Transaction<DataTables>, tenantId: string, id: string): Promise<ConversationView> {
    const row = await trx.selectFrom('conversations').select(COLUMNS).where('id', '=', id).executeTakeFirst();
    if (!row) throw conversationNotFound();
    return this.#open(trx, tenantId, row);
  }

  async #open(trx: Transaction<DataTables>, tenantId: string, row: ConversationRow): Promise<ConversationView> {
    const title = row.title ? (await this.sealer.open(trx, this.#titleContext(tenantId, row.id), row.title)).toString('utf8') : null;
    return { ...this.#view(row), title };
  }

  #view(row: ConversationRow): ConversationView {
    return { id: row.id, title: null, messageCount: row.message_count, createdBy: row.created_by, createdAt: row.created_at, updatedAt: row.updated_at };
  }

  #titleContext(tenantId: string, id: string) {
    return { tenantId, table: 'conversations', column: 'title', rowId: id };
  }
}
