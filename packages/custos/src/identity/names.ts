// A person's name (optional at sign-up, P-ACC-1) is personal data: it is sealed under the person's
// own secret, so that erasure shreds it with everything else of theirs, in backups too. Better
// Auth's people.name column stays empty; custos keeps the name here and opens it where it is shown.
import type { Kysely } from 'kysely';
import { INSTANCE_CHAIN } from '../audit/index.ts';
import { isAppError } from '../core/errors.ts';
import { open, personDataKey, seal, type Keystore, type SealContext } from '../crypto/index.ts';
import type { IdentityTables } from './tables.ts';

const nameContext = (personId: string): SealContext => ({ tenantId: INSTANCE_CHAIN, table: 'person_names', column: 'name_sealed', rowId: personId });

export class PersonNames {
  readonly #db: Kysely<IdentityTables>;
  readonly #keystore: Keystore;

  constructor(db: Kysely<IdentityTables>, keystore: Keystore) {
    this.#db = db;
    this.#keystore = keystore;
  }

  /** Keeps `name` for the person; an empty name keeps nothing. */
  async set(personId: string, name: string, db: Kysely<IdentityTables> = this.#db): Promise<void> {
    if (name === '') {
      await db.deleteFrom('person_names').where('person_id', '=', personId).execute();
      return;
    }
    const sealed = seal(await personDataKey(this.#keystore, personId, true), nameContext(personId), Buffer.from(name, 'utf8'));
    await db.insertInto('person_names').values({ person_id: personId, name_sealed: sealed })
      .onConflict((oc) => oc.column('person_id').doUpdateSet({ name_sealed: sealed, updated_at: new Date() })).execute();
  }

  /** The person's name, or '' when they gave none (or it was erased with their secret). */
  async get(personId: string): Promise<string> {
    const row = await this.#db.selectFrom('person_names').select('name_sealed').where('person_id', '=', personId).executeTakeFirst();
    if (!row) return '';
    try {
      const key = await personDataKey(this.#keystore, personId, false);
      return (await open(() => key.key, nameContext(personId), row.name_sealed)).toString('utf8');
    } catch (err) {
      if (isAppError(err) && err.code === 'key_shredded') return '';
      throw err;
    }
  }

  /**
   * Names an earlier release kept in clear in people.name are sealed and the clear copy emptied,
   * a person at a time (each in a transaction of its own). Safe to run on several servers at once.
   */
  async sealClearNames(): Promise<number> {
    const clear = await this.#db.selectFrom('people').select('id').where('name', '<>', '').execute();
    let sealed = 0;
    for (const { id } of clear) {
      await this.#db.transaction().execute(async (trx) => {
        // Locked, and read again: a person erased meanwhile is gone (and their secret must not be
        // made anew for them); a name changed meanwhile is sealed as it is now.
        const person = await trx.selectFrom('people').select('name').where('id', '=', id).forUpdate().executeTakeFirst();
        if (!person || person.name === '') return;
        await this.set(id, person.name, trx);
        await trx.updateTable('people').set({ name: '' }).where('id', '=', id).execute();
        sealed += 1;
      });
    }
    return sealed;
  }
}
