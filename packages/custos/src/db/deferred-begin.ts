// Kysely opens each transaction with a `begin` of its own: a round trip to the server before the
// transaction's first statement. This client holds that `begin` back and sends it in the same
// round trip as the first statement when that statement has no parameters (withTenant's SET LOCAL,
// so every tenant transaction: BEGIN, SET LOCAL, the work, COMMIT becomes three round trips, not
// four). A first statement with parameters is preceded by the held `begin` as before, and a
// transaction that ran nothing ends without a word to the server. Both engines use it (the
// embedded one through GuardedClient), so the test suite runs every transaction through it.
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

export class DeferredBeginClient extends pg.Client {
  #beginHeld = false;

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
    if (plain) {
      // One simple-protocol query of two statements: pg answers with one result each.
      return send(`${BEGIN}; ${text}`).then((results) => (Array.isArray(results) ? results.at(-1) : results));
    }
    if (promiseForm) return send(BEGIN).then(() => send(text, values));
    // Another form (a callback, a query object): pg sends queries in the order they are made, so
    // the held begin goes first; one that failed leaves a broken connection, which fails this too.
    send(BEGIN).catch(() => undefined);
    return send(...args);
  }
}
