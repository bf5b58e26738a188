// The person an operator names on the command line, by email address (stored lowercased).
import type { Kysely } from 'kysely';
import type { IdentityTables } from '../identity/index.ts';

export async function personIdByEmail(db: object, email: string): Promise<string> {
  const person = await (db as Kysely<IdentityTables>).selectFrom('people').select('id').where('email', '=', email.trim().toLowerCase()).executeTakeFirst();
  if (!person) throw new Error('no account has that email address');
  return person.id;
}
