// Kysely opens each transaction with a `begin` of its own: a round trip to the server before the
// transaction's first statement. This client holds that `begin` back and sends it in the same
// round trip as the first statement when that statement has no parameters (withTenant's SET LOCAL,
// so every tenant transaction: BEGIN, SET LOCAL, the work, COMMIT becomes three round trips, not
// four). A first statement with parameters is preceded by the held `begin` as before, and a
// transaction that ran nothing ends without a word to the server. Every pool of both engines uses
// it (the embedded runtime one through GuardedClient), so the test suite runs every transaction,
// migrations included, through it.
import pg from 'pg';

/** What Kysely sends to open and close a transaction (dialect/postgres/postgres-driver.js). */
const BEGIN = 'begin';
const ENDS = new Set(['commit', 'rollback']);

function unparameterised(values: unknown): boolean {
  return values === undefined || (Array.isArray(values) && values.length === 0);
}

/** The result pg gives a statement that returns no rows, for a `begin`, `commit` or `rollback` answered here. */
function noRows(command: string): pg.QueryResult {
  return { command, rowCount: null, oid: 0, fields: [], rows: [] };
}

const PREFIX = `${BEGIN}; `;

/**
 * `begin; text` in one simple-protocol query, answered as `text` alone would be: pg gives one
 * result per statement (so the begin's is dropped), and an error's position counts from `text`.
 */
async function sendWithBegin(send: (...a: unknown[]) => Promise<unknown>, text: string): Promise<unknown> {
  try {
    const results = await send(`${PREFIX}${text}`) as pg.QueryResult[];
    return results.length === 2 ? results[1] : results.slice(1);
  } catch (err) {
    const position = (err as { position?: unknown }).position;
    if (typeof position === 'string' && Number(position) > PREFIX.length) (err as { position: string }).position = String(Number(position) - PREFIX.length);
    throw err;
  }
}

export class DeferredBeginClient extends pg.Client {
  #beginHeld = false;

  /**
   * The pool calls this when the client comes back: a begin still held belongs to a transaction
   * that sent nothing and was never ended (Kysely skips the rollback after some errors); it goes.
   */
  dropHeldBegin(): void {
    this.#beginHeld = false;
  }

  // pg's query() has many overloads; only Kysely's promise form, (text, values), is looked at.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  override query(...args: any[]): any {
    const send = super.query.bind(this) as (...a: unknown[]) => Promise<unknown>;
    const [text, values] = args as [unknown, unknown];
    const promiseForm = args.length <= 2 && typeof text === 'string';
    const plain = promiseForm && unparameterised(values);
    if (plain && text === BEGIN && !this.#beginHeld) {
      this.#beginHeld = true;
      return Promise.resolve(noRows('BEGIN'));
    }
    if (!this.#beginHeld) return send(...args);
    this.#beginHeld = false;
    if (plain && ENDS.has(text)) return Promise.resolve(noRows(text.toUpperCase()));
    if (plain) return sendWithBegin(send, text);
    // pg sends queries in the order they are made: both are queued now, so nothing (a rollback
    // Kysely sends when the transaction's callback fails) can come between the begin and this.
    const begun = send(BEGIN);
    if (promiseForm) {
      const answered = send(text, values);
      return Promise.all([begun, answered]).then(([, result]) => result);
    }
    // Another form (a callback, a query object): a begin that failed leaves a broken connection,
    // which fails this too.
    begun.catch(() => undefined);
    return send(...args);
  }
}

/** The pool's `release` listener (pg-pool emits it with the error, if any, and the client). */
export function dropHeldBegin(_err: unknown, client: unknown): void {
  if (client instanceof DeferredBeginClient) client.dropHeldBegin();
}
