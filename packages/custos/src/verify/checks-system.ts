// The checks of how the system is built and run: isolation in the database, the registry covering
// every table, the audit chains, requests answered on time, mail that can only be transactional,
// the policy as published and announced, and the subprocessors actually configured.
import { sql } from 'kysely';
import { verifyChain } from '../audit/index.ts';
import { runtimeFunctionProblems, runtimeLoginProblems, tenantTableProblems } from '../db/catalog.ts';
import { TABLES } from '../db/registry.ts';
import { MAIL_TEMPLATE_NAMES } from '../mail/index.ts';
import { policyChanges } from '../policy/index.ts';
import type { VerifyContext } from './context.ts';
import { fail, pass, warn, type Outcome } from './report.ts';

const DAY_MS = 86_400_000;

export async function forcedRls(ctx: VerifyContext): Promise<Outcome> {
  const problems = await tenantTableProblems(ctx.app.database);
  const { rows } = await ctx.global((trx) => sql<{ n: number }>`
    select count(*)::int as n from pg_class c join pg_namespace s on s.oid = c.relnamespace join pg_attribute a on a.attrelid = c.oid
     where s.nspname = 'public' and c.relkind = 'r' and a.attname = 'tenant_id' and not a.attisdropped`.execute(trx));
  return problems.length === 0 ? pass(`${rows[0]!.n} tenant tables, each with row-level security enabled and forced and a policy on the tenant`) : fail(problems.join('; '));
}

export async function runtimeLogin(ctx: VerifyContext): Promise<Outcome> {
  const problems = [...(await runtimeLoginProblems(ctx.app.database)), ...(await runtimeFunctionProblems(ctx.app.database))];
  const { rows } = await ctx.global((trx) => sql<{ role: string }>`select current_user as role`.execute(trx));
  return problems.length === 0 ? pass(`the server runs as ${rows[0]!.role}: no superuser, no BYPASSRLS, no CREATEROLE or CREATEDB, DML grants only`) : fail(problems.join('; '));
}

export async function registryCovers(ctx: VerifyContext, tableCategory: ReadonlyMap<string, string>): Promise<Outcome> {
  const { rows } = await ctx.global((trx) => sql<{ name: string }>`select table_name as name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'`.execute(trx));
  const known = new Set(TABLES.map((t) => t.table));
  // A table nobody registered holds data no policy speaks for: an extension's too.
  const missing = rows.map((r) => r.name).filter((name) => !known.has(name));
  const uncategorised = TABLES.filter((t) => !tableCategory.has(t.table)).map((t) => t.table);
  if (missing.length > 0 || uncategorised.length > 0) {
    return fail([missing.length && `tables in the database but not in the data registry: ${missing.join(', ')}`, uncategorised.length && `in no category of the policy: ${uncategorised.join(', ')}`].filter(Boolean).join('; '));
  }
  return pass(`${rows.length} tables, each in the data registry and in one category of the policy`);
}

export async function auditChains(ctx: VerifyContext): Promise<Outcome> {
  const macKey = await ctx.app.keys.audit.macKey();
  let entries = 0;
  const broken: string[] = [];
  for (const chain of ctx.tenants) {
    const report = await ctx.inTenant(chain, (trx) => verifyChain(trx, chain, macKey));
    entries += report.entries;
    if (report.problem) broken.push(`${chain}: ${report.problem}`);
  }
  return broken.length === 0 ? pass(`${ctx.tenants.length} chains, ${entries} entries: every hash and head MAC matches`) : fail(`broken chains: ${broken.join('; ')}`);
}

export async function noOverdueRequest(ctx: VerifyContext): Promise<Outcome> {
  const overdue = await ctx.app.rights.requests.overdueCount();
  const open = (await ctx.app.rights.requests.list({ limit: 1000 })).filter((r) => !r.completedAt).length;
  return overdue === 0 ? pass(`${open} open requests, none past its due date (${ctx.policy.requests.dueDays} days)`) : fail(`${overdue} requests are past their due date (custos requests --overdue)`);
}

export async function transactionalMailOnly(ctx: VerifyContext): Promise<Outcome> {
  if (ctx.policy.statements.marketingEmail) return warn('the policy says the product sends marketing mail; custos itself sends none');
  return pass(`custos can render ${MAIL_TEMPLATE_NAMES.length} kinds of mail, every one transactional: ${MAIL_TEMPLATE_NAMES.join(', ')}`);
}

export async function policyPublished(ctx: VerifyContext): Promise<Outcome> {
  const versions = ctx.app.policy.versions;
  const newest = await versions.latest();
  const inForce = versions.inForce();
  const unpublished = policyChanges(newest.document, ctx.policy);
  if (unpublished.some((change) => change.material)) {
    return fail(`the server runs under a policy file that differs materially from the newest published version ${newest.n}: ${unpublished.filter((c) => c.material).map((c) => c.text).join(' ')} Publish it (custos policy publish).`);
  }
  if (unpublished.length > 0) return warn(`the policy file differs from published version ${newest.n} in what is not material; publish it to show it`);
  return pass(`the policy the server runs under is published version ${newest.n}${newest.n === inForce ? ', in force' : `, in force from ${newest.effectiveAt.toISOString()} (version ${inForce} until then)`}`);
}

export async function noticeKept(ctx: VerifyContext): Promise<Outcome> {
  const versions = [...(await ctx.app.policy.versions.list())].reverse();
  const problems: string[] = [];
  for (let i = 1; i < versions.length; i += 1) {
    const version = versions[i]!;
    if (!version.material) continue;
    // The notice period promised is the one of the version in force when it was published (as publish holds it to).
    const inForce = versions.slice(0, i).filter((v) => v.effectiveAt.getTime() <= version.publishedAt.getTime()).at(-1) ?? versions[0]!;
    const days = (await ctx.app.policy.versions.get(inForce.n)).document.notice.materialChangeDays;
    if (version.effectiveAt.getTime() - version.publishedAt.getTime() < days * DAY_MS - 1000) problems.push(`version ${version.n} took effect less than ${days} days after it was published`);
    const { rows } = await ctx.global((trx) => sql<{ notified_at: Date | null }>`select notified_at from policy_versions where n = ${version.n}`.execute(trx));
    const notifiedAt = rows[0]?.notified_at;
    if (!notifiedAt && version.effectiveAt.getTime() <= Date.now()) problems.push(`version ${version.n} is in force but its notice was not mailed to everyone`);
    if (notifiedAt && notifiedAt.getTime() > version.effectiveAt.getTime()) problems.push(`version ${version.n}'s notice was mailed after it took effect`);
  }
  const material = versions.filter((v) => v.material).length;
  return problems.length === 0 ? pass(`${versions.length} published versions; each of the ${material} material changes was mailed and took effect after its notice period`) : fail(problems.join('; '));
}

const isLoopback = (host: string) => host === 'localhost' || host === '::1' || host === '[::1]' || /^127\./.test(host);
const covers = (pattern: string, host: string) => (pattern.startsWith('*.') ? host.endsWith(pattern.slice(1)) : host === pattern);

/** The hosts this deployment hands personal data to, by what it is configured with. */
function configuredHosts(ctx: VerifyContext): Array<{ host: string; what: string }> {
  const { config } = ctx.app;
  const hosts: Array<{ host: string; what: string }> = [];
  const add = (url: string | undefined, what: string) => {
    if (!url) return;
    const host = new URL(url).hostname.toLowerCase();
    if (!isLoopback(host)) hosts.push({ host, what });
  };
  if (config.mail.transport === 'smtp') add(config.mail.smtpUrl, 'the SMTP server (CUSTOS_SMTP_URL)');
  add(config.databaseUrl, 'the database (DATABASE_URL)');
  add(config.redisUrl, 'the rate-limit store (REDIS_URL)');
  return hosts;
}

export async function subprocessorsDeclared(ctx: VerifyContext): Promise<Outcome> {
  const declared = ctx.policy.subprocessors;
  const configured = configuredHosts(ctx);
  const undeclared = configured.filter(({ host }) => !declared.some((s) => s.hosts.some((pattern) => covers(pattern, host))));
  if (undeclared.length > 0) return fail(`configured but not published as subprocessors: ${undeclared.map((u) => `${u.host}, ${u.what}`).join('; ')}`);
  const names = configured.map(({ host }) => `${host} (${declared.find((s) => s.hosts.some((p) => covers(p, host)))!.name})`);
  return pass(`${configured.length} outside hosts configured, each a published subprocessor${names.length ? `: ${names.join(', ')}` : ''}; ${declared.length} subprocessors published`);
}
