// Prints the SQL Better Auth's getMigrations would run on an empty database, for turning into a
// custos migration (reviewed, with grants added by hand). Usage, with a scratch database:
//   DATABASE_URL=postgres://postgres@127.0.0.1:5432/scratch node packages/custos/scripts/auth-schema.ts
import { getMigrations } from 'better-auth/db/migration';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { authOptions } from '../src/identity/better-auth.ts';

const url = process.env.DATABASE_URL;
if (!url) throw new Error('set DATABASE_URL to an empty scratch database');
const db = new Kysely({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url }) }) });
const options = authOptions({ publicUrl: new URL('http://localhost'), requireEmailVerification: false, sessionIdleSeconds: 3600, sessionAbsoluteSeconds: 7200 }, 'x'.repeat(32));
const { compileMigrations } = await getMigrations({ ...options, database: { db, type: 'postgres' } });
process.stdout.write(`${await compileMigrations()}\n`);
await db.destroy();
