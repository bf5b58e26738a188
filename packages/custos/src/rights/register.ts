// The register of requests (P-RIG-7): every request a person makes about their data, from the API
// or through an operator, with when it was received, when it is due and when it was answered. It
// holds ids, kinds and times, never content, and outlives the person it is about.
import type { Kysely } from 'kysely';
import type { Clock } from '../core/clock.ts';
import { newId } from '../core/ids.ts';
import type { RequestKind, RequestSource, RequestStatus, RightsTables } from './tables.ts';

export interface RequestView {
  id: string;
  personId: string;
  kind: RequestKind;
  source: RequestSource;
  status: RequestStatus;
  receivedAt: Date;
  dueAt: Date;
  completedAt: Date | null;
  overdue: boolean;
}

export class Register {
  readonly #db: Kysely<RightsTables>;
  readonly #clock: Clock;
  readonly #dueDays: number;

  constructor(db: Kysely<RightsTables>, clock: Clock, dueDays: number) {
    this.#db = db;
    this.#clock = clock;
    this.#dueDays = dueDays;
  }

  /** Records a request as received (open); `completed` records one answered on the spot (access). */
  async receive(trx: Kysely<RightsTables>, request: { personId: string; kind: RequestKind; source: RequestSource; completed?: boolean }): Promise<string> {
    const id = newId();
    const now = this.#clock.now();
    await trx.insertInto('rights_requests').values({
      id, person_id: request.personId, kind: request.kind, source: request.source,
      status: request.completed ? 'completed' : 'open',
      received_at: now, due_at: new Date(now.getTime() + this.#dueDays * 86_400_000), completed_at: request.completed ? now : null,
    }).execute();
    return id;
  }

  /** Closes an open request; a request already closed stays as it was (jobs run at least once). */
  async close(trx: Kysely<RightsTables>, id: string, status: Exclude<RequestStatus, 'open'>): Promise<void> {
    await trx.updateTable('rights_requests').set({ status, completed_at: this.#clock.now() })
      .where('id', '=', id).where('status', '=', 'open').execute();
  }

  /** Newest first; `overdue`: open requests past their due time only. */
  async list(options: { overdue?: boolean; limit?: number; before?: { receivedAt: Date; id: string } } = {}): Promise<RequestView[]> {
    const now = this.#clock.now();
    let query = this.#db.selectFrom('rights_requests').selectAll();
    if (options.overdue) query = query.where('status', '=', 'open').where('due_at', '<', now);
    if (options.before) {
      const { receivedAt, id } = options.before;
      query = query.where((eb) => eb.or([eb('received_at', '<', receivedAt), eb.and([eb('received_at', '=', receivedAt), eb('id', '<', id)])]));
    }
    const rows = await query.orderBy('received_at', 'desc').orderBy('id', 'desc').limit(options.limit ?? 100).execute();
    return rows.map((row) => ({
      id: row.id, personId: row.person_id, kind: row.kind, source: row.source, status: row.status,
      receivedAt: row.received_at, dueAt: row.due_at, completedAt: row.completed_at,
      overdue: row.status === 'open' && row.due_at < now,
    }));
  }

  /** How many open requests are past due (for /readyz and the log). */
  async overdueCount(): Promise<number> {
    const row = await this.#db.selectFrom('rights_requests').select((eb) => eb.fn.countAll<number>().as('n'))
      .where('status', '=', 'open').where('due_at', '<', this.#clock.now()).executeTakeFirstOrThrow();
    return Number(row.n);
  }
}
