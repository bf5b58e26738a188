// Typed access to the test-only tenant tables of fixtures/migrations.
import type { Kysely } from 'kysely';
import type { Database } from '../../src/db/connect.ts';

// A type alias, not an interface: Kysely's withTables wants an index-signature-compatible type.
export type NotesSchema = {
  test_notes: { tenant_id: string; id: string; body: string };
  test_note_tags: { tenant_id: string; note_id: string; tag: string };
};

export function notesDb(database: Database): Kysely<NotesSchema> {
  return database.db.withTables<NotesSchema>();
}
