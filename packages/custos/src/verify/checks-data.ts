// The checks of what is stored: sealed columns hold custos envelopes that open under their own
// row's context; no key or token pattern stands in clear anywhere; passwords, API keys and session
// tokens are stored as hashes; no row outlives its category's retention.
import crypto from 'node:crypto';
import { sql, type RawBuilder } from 'kysely';
import { isAppError } from '../core/errors.ts';
import { open, personKey, sealedKeyVersion } from '../crypto/index.ts';
import { TABLES, type TableEntry } from '../db/registry.ts';
import { parseRetention } from '../policy/index.ts';
import { sealContextOf } from '../rights/index.ts';
import type { VerifyContext, VerifyTrx } from './context.ts';
import type { Probe } from './probe.ts';
import { fail, pass, warn, type Outcome } from './report.ts';

/** Rows sampled per table and workspace; workspaces sampled per table. */
const SAMPLE_ROWS = 100;
const SAMPLE_TENANTS = 50;
/** A purge runs daily (the retention worker): a row may be this much older than its retention. */
const RETENTION_GRACE_DAYS = 1;

type Row = Record<string, unknown>;
const isTenantTable = (entry: TableEntry) => entry.key[0] === 'tenant_id';
const ref = (name: string) => sql.ref(name);
const asBuffer = (value: unknown) => (Buffer.isBuffer(value) ? value : Buffer.from(value as Uint8Array));

/** Runs `query` once for global tables, or in each of `tenants`' transactions (every tenant by default). */
async function eachScope<T>(ctx: VerifyContext, entry: TableEntry, query: (trx: VerifyTrx, tenantId: string | null) => Promise<T>, tenants = ctx.tenants): Promise<T[]> {
  if (!isTenantTable(entry)) return [await ctx.global((trx) => query(trx, null))];
  const out: T[] = [];
  for (const tenantId of tenants) out.push(await ctx.inTenant(tenantId, (trx) => query(trx, tenantId)));
  return out;
}

/** The tenants sealed values are sampled in: the probe's workspace always, and a random SAMPLE_TENANTS of the rest. */
function sampledTenants(ctx: VerifyContext, probe: Probe): string[] {
  const others = ctx.tenants.filter((id) => id !== probe.workspaceId);
  for (let i = others.length - 1; i > 0; i -= 1) {
    const j = crypto.randomInt(i + 1);
    [others[i], others[j]] = [others[j]!, others[i]!];
  }
  return [...(probe.workspaceId ? [probe.workspaceId] : []), ...others.slice(0, SAMPLE_TENANTS)];
}

/** What the probe sealed through the API: each must be found and opened, or the sampling proved nothing. */
const PROBE_SEALED = ['conversations.title', 'messages.content', 'credentials.secret', 'credentials.label_sealed'];

/** Whose secret seals a person-sealed column of this row. */
function personOf(entry: TableEntry, row: Row): string | null {
  if (entry.owner.kind === 'person' && !entry.owner.jsonField) return (row[entry.owner.column] as string | null) ?? null;
  const column = entry.people?.[0];
  return column ? (row[column] as string | null) ?? null : null;
}

export async function sealedColumns(ctx: VerifyContext, probe: Probe): Promise<Outcome> {
  const tenants = sampledTenants(ctx, probe);
  const probeOpened = new Set<string>();
  let opened = 0;
  let shredded = 0;
  let formatOnly = 0;
  const wrong: string[] = [];
  for (const entry of TABLES.filter((t) => Object.keys(t.sealed).length > 0)) {
    const columns = [...new Set([...entry.key, ...Object.keys(entry.sealed), ...(entry.owner.kind === 'person' ? [entry.owner.column] : []), ...(entry.people ?? [])])];
    await eachScope(ctx, entry, async (trx, tenantId) => {
      const { rows } = await sql<Row>`select ${sql.join(columns.map(ref))} from ${sql.table(entry.table)} order by random() limit ${SAMPLE_ROWS}`.execute(trx);
      for (const row of rows) {
        for (const [column, under] of Object.entries(entry.sealed)) {
          if (row[column] === null || row[column] === undefined) continue;
          const sealed = asBuffer(row[column]);
          const where = `${entry.table}.${column}${tenantId ? ` in workspace ${tenantId}` : ''}`;
          try {
            sealedKeyVersion(sealed);
            const context = sealContextOf(entry, row, column);
            if (under === 'workspace') await ctx.app.keys.sealer.open(trx, context, sealed);
            else if (under === 'person') {
              const personId = personOf(entry, row);
              if (!personId) throw new Error('no person');
              const key = await personKey(ctx.app.keys.keystore, personId, false);
              await open(() => key, context, sealed);
            } else formatOnly += 1;
            if (under !== 'instance') opened += 1;
            if (tenantId && tenantId === probe.workspaceId) probeOpened.add(`${entry.table}.${column}`);
          } catch (err) {
            if (isAppError(err) && err.code === 'key_shredded') shredded += 1;
            else wrong.push(`${where} (${isAppError(err) ? err.code : 'unopenable'})`);
          }
        }
      }
    }, tenants);
  }
  const counts = `${opened} sampled values (in ${tenants.length} of ${ctx.tenants.length} tenants) opened under their own row's context, ${shredded} unreadable because their owner was erased, ${formatOnly} instance-sealed checked for format`;
  if (wrong.length > 0) return fail(`${wrong.length} sealed values are not custos envelopes or fail their integrity check: ${[...new Set(wrong)].slice(0, 10).join('; ')}; ${counts}`);
  const missing = PROBE_SEALED.filter((place) => !probeOpened.has(place));
  if (missing.length > 0) return fail(`what the probe wrote through the API was not found sealed: ${missing.join(', ')}; ${counts}`);
  return pass(`${counts}; the probe's own (${PROBE_SEALED.join(', ')}) among them`);
}

// Keys and tokens by their shapes: ours (csk_), model providers', cloud and chat platforms', PEM
// private keys, JWTs. A match in any clear column is a secret stored unsealed.
const SECRET_PATTERN = String.raw`(csk_[A-Za-z0-9_-]{20,}|sk-[A-Za-z0-9_-]{20,}|sk-ant-[A-Za-z0-9_-]{20,}|gh[pousr]_[A-Za-z0-9]{30,}|AKIA[0-9A-Z]{16}|xox[baprs]-[A-Za-z0-9-]{10,}|-----BEGIN [A-Z ]*PRIVATE KEY-----|eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,})`;

export async function noSecretsInClear(ctx: VerifyContext): Promise<Outcome> {
  const { rows: columns } = await ctx.global((trx) => sql<{ schema: string; table: string; column: string }>`
    select table_schema as schema, table_name as table, column_name as column from information_schema.columns
     where table_schema in ('public', 'custos_jobs') and data_type in ('text', 'character varying', 'json', 'jsonb', 'ARRAY')
     order by 1, 2, ordinal_position`.execute(trx));
  const byTable = new Map<string, string[]>();
  for (const c of columns) {
    const table = c.schema === 'public' ? c.table : `${c.schema}.${c.table}`;
    byTable.set(table, [...(byTable.get(table) ?? []), c.column]);
  }
  const found: string[] = [];
  const unreadable: string[] = [];
  let scanned = 0;
  for (const [table, names] of byTable) {
    const entry = TABLES.find((t) => t.table === table) ?? { table, key: [table], owner: { kind: 'instance' }, sealed: {} } as unknown as TableEntry;
    const counts = sql.join(names.map((name) => sql`count(*) filter (where ${ref(name)}::text ~ ${SECRET_PATTERN})::int as ${ref(name)}`));
    try {
      const results = await eachScope(ctx, entry, async (trx) => (await sql<Record<string, number>>`select ${counts} from ${sql.table(table)}`.execute(trx)).rows[0]!);
      scanned += 1;
      for (const result of results) for (const [column, n] of Object.entries(result)) if (n > 0) found.push(`${table}.${column} (${n} rows)`);
    } catch (err) {
      // A table the runtime may not read is a gap to say; any other failure is the check failing.
      if ((err as { code?: unknown }).code !== '42501') throw err;
      unreadable.push(table);
    }
  }
  const notRead = unreadable.length > 0 ? `; not readable by the runtime login, so not searched: ${unreadable.join(', ')}` : '';
  if (found.length > 0) return fail(`key or token patterns in clear: ${[...new Set(found)].join('; ')}${notRead}`);
  return (unreadable.length > 0 ? warn : pass)(`${scanned} tables' text columns searched (in every workspace) for key and token patterns: none${notRead}`);
}

async function countWhere(ctx: VerifyContext, table: string, condition: RawBuilder<unknown>): Promise<{ total: number; wrong: number }> {
  const { rows } = await ctx.global((trx) => sql<{ total: number; wrong: number }>`select count(*)::int as total, (count(*) filter (where ${condition}))::int as wrong from ${sql.table(table)}`.execute(trx));
  return rows[0]!;
}

export async function hashes(ctx: VerifyContext): Promise<Outcome> {
  // Better Auth's scrypt: a 16-byte salt and a 64-byte key, both hex.
  const passwords = await countWhere(ctx, 'accounts', sql`password is not null and password !~ '^[0-9a-f]{32}:[0-9a-f]{128}$'`);
  // SHA-256, base64url without padding: 43 characters, and never the raw key's csk_ prefix.
  const keys = await countWhere(ctx, 'api_keys', sql`key !~ '^[A-Za-z0-9_-]{43}$' or key like 'csk\\_%'`);
  const sessions = await countWhere(ctx, 'sessions', sql`token !~ '^[A-Za-z0-9_-]{43}$'`);
  const evidence = `${passwords.total} accounts (scrypt), ${keys.total} API keys and ${sessions.total} sessions (SHA-256) checked`;
  const wrong = [passwords.wrong && `${passwords.wrong} passwords not scrypt hashes`, keys.wrong && `${keys.wrong} API keys not hashes`, sessions.wrong && `${sessions.wrong} session tokens not hashes`].filter(Boolean);
  return wrong.length === 0 ? pass(evidence) : fail(`${wrong.join('; ')}; ${evidence}`);
}

export async function retention(ctx: VerifyContext, tableCategory: ReadonlyMap<string, string>): Promise<Outcome> {
  const late: string[] = [];
  let checked = 0;
  for (const category of ctx.policy.categories) {
    const kept = parseRetention(category.retention);
    if (kept.kind !== 'days') continue;
    for (const entry of TABLES.filter((t) => tableCategory.get(t.table) === category.id && t.createdAt)) {
      checked += 1;
      const counts = await eachScope(ctx, entry, async (trx) => (await sql<{ n: number }>`
        select count(*)::int as n from ${sql.table(entry.table)} where ${ref(entry.createdAt!)} < now() - make_interval(days => ${kept.days + RETENTION_GRACE_DAYS})`.execute(trx)).rows[0]!.n);
      const n = counts.reduce((a, b) => a + b, 0);
      if (n > 0) late.push(`${entry.table}: ${n} rows older than ${category.id}'s ${kept.days} days`);
    }
  }
  const evidence = `${checked} tables with a retention in days checked in every workspace (grace ${RETENTION_GRACE_DAYS} day)`;
  return late.length === 0 ? pass(evidence) : fail(`${late.join('; ')}; ${evidence}`);
}
