// `custos verify`: the live system checked against its policy, claim by claim (DESIGN.md, Principle
// 1). Each claim names the promises it keeps; a check that cannot run is a failure, not a pass. The
// report is recorded (the public verification page and the policy's "verified N minutes ago" read
// it) and served to instance administrators at GET /v1/admin/verify.
import type { App } from '../app.ts';
import { canariesNotLogged, publicPages, ready, sessionCookie, transportSecurity } from './checks-http.ts';
import { hashes, noSecretsInClear, retention, sealedColumns } from './checks-data.ts';
import {
  auditChains, forcedRls, noOverdueRequest, noticeKept, policyPublished, registryCovers, runtimeLogin, subprocessorsDeclared, transactionalMailOnly,
} from './checks-system.ts';
import { verifyContext, type VerifyContext, type VerifyOptions } from './context.ts';
import { eraseProbe, plantProbe, type Probe } from './probe.ts';
import { declared, fail, summaryOf, type Claim, type Outcome, type Report, type Row } from './report.ts';

export { formatReport, type Report, type Row } from './report.ts';
export type { VerifyOptions } from './context.ts';

type Check = (ctx: VerifyContext, probe: Probe) => Promise<Outcome>;

/** Every claim, in the order the report lists them. The ids are what the policy page links to. */
function claims(logFiles: readonly string[], tableCategory: ReadonlyMap<string, string>): Array<Claim & { run: Check }> {
  const paper = (statement: (ctx: VerifyContext) => string): Check => async (ctx) => declared(statement(ctx));
  return [
    { id: 'ready', claim: 'The deployment runs as built', promises: [], check: 'GET /readyz: the database, the keys, the migrations and isolation as the server checks them', run: ready },
    { id: 'rls', claim: 'Each workspace is kept apart by the database itself', promises: ['P-TEN-1'], check: 'every table with tenant_id has row-level security enabled and forced, with a policy on the tenant', run: forcedRls },
    { id: 'runtime-login', claim: 'The server cannot switch isolation off', promises: ['P-TEN-1', 'P-TEN-3'], check: 'the runtime login is no superuser, has no BYPASSRLS, CREATEROLE or CREATEDB, and DML grants only', run: runtimeLogin },
    { id: 'registry', claim: 'Everything stored is declared', promises: ['P-RIG-1'], check: 'every table in the database is in the data registry and in one category of the policy', run: (ctx) => registryCovers(ctx, tableCategory) },
    { id: 'sealed', claim: 'Content and secrets are encrypted at rest', promises: ['P-ENC-1', 'P-ENC-3', 'P-DAT-5'], check: 'sampled values of every sealed column are custos envelopes that open under their own row\'s context', run: (ctx, probe) => sealedColumns(ctx, probe) },
    { id: 'no-secrets-in-clear', claim: 'No key or token is stored in clear', promises: ['P-ENC-3', 'P-KEY-1'], check: 'every text column of every table, in every workspace, searched for key and token patterns', run: noSecretsInClear },
    { id: 'hashes', claim: 'Passwords, API keys and session tokens are stored as hashes', promises: ['P-ACC-2', 'P-KEY-1', 'P-COO-1'], check: 'every stored password has scrypt\'s shape; every key and session token SHA-256\'s', run: hashes },
    { id: 'cookie', claim: 'One strict session cookie, as declared', promises: ['P-COO-1', 'P-COO-2'], check: 'the cookies a real sign-up sets, against the policy\'s declarations', run: sessionCookie },
    { id: 'public-pages', claim: 'The public pages set no cookie', promises: ['P-COO-4', 'P-COO-2'], check: 'the policy pages and health answers: no Set-Cookie, no script, nothing loaded from elsewhere', run: publicPages },
    { id: 'tls', claim: 'Transport is TLS only', promises: ['P-ENC-2'], check: 'the public URL is https and answers with HSTS', run: transportSecurity },
    { id: 'retention', claim: 'Nothing is kept longer than the policy says', promises: ['P-RET-1', 'P-RET-3'], check: 'no row older than its category\'s retention (plus a day for the purge to run)', run: (ctx) => retention(ctx, tableCategory) },
    { id: 'audit', claim: 'The audit trail is complete and unedited', promises: ['P-AUD-1', 'P-AUD-2'], check: 'every chain recomputed: hashes, order and the head\'s MAC', run: auditChains },
    { id: 'overdue', claim: 'Every request is answered on time', promises: ['P-RIG-7'], check: 'no open request in the register is past its due date', run: noOverdueRequest },
    { id: 'mail', claim: 'Mail is transactional only', promises: ['P-COM-1'], check: 'the mail custos can render at all', run: transactionalMailOnly },
    { id: 'subprocessors', claim: 'The published subprocessors are the ones in use', promises: ['P-COM-3'], check: 'the outside hosts configured (SMTP, database, rate-limit store) against the published list', run: subprocessorsDeclared },
    { id: 'published', claim: 'The policy shown is the policy enforced', promises: ['P-COM-2', 'P-COM-3'], check: 'the policy file the server runs under against the newest published version', run: policyPublished },
    { id: 'notice', claim: 'Material changes are announced ahead', promises: ['P-COM-2'], check: 'each material change was mailed to every account and took effect after the notice period', run: noticeKept },
    { id: 'logs', claim: 'Logs hold no content or secrets', promises: ['P-LOG-1'], check: 'canaries planted through the API, searched for in the log', run: (ctx, probe) => canariesNotLogged(ctx, probe, logFiles) },
    { id: 'log-retention', claim: 'Server logs are kept for a limited time', promises: ['P-RET-4'], check: 'declared by the operator: custos writes its log to standard output, where the operator keeps it', run: paper((ctx) => `at most ${ctx.policy.logs.keepDays} days`) },
    { id: 'backups', claim: 'Backups outlive a deletion for a limited time', promises: ['P-RET-5'], check: 'declared by the operator, who takes the backups', run: paper((ctx) => `backups expire within ${ctx.policy.backups.expireWithinDays} days; an erased workspace's or person's keys are shredded, so older copies open nothing`) },
    { id: 'sale-training', claim: 'No sale of data, no training on it', promises: ['P-PAP-1'], check: 'declared by the operator', run: paper((ctx) => `${ctx.policy.statements.sellsData ? 'may sell data' : 'no sale'}; ${ctx.policy.statements.trainsOnCustomerData ? 'may train on customer data' : 'no training on customer data'}`) },
    { id: 'minimum-age', claim: 'A minimum age', promises: ['P-PAP-2'], check: 'declared by the operator', run: paper((ctx) => `${ctx.policy.minimumAge} years`) },
    { id: 'transfers', claim: 'International transfers and their safeguards', promises: ['P-PAP-3'], check: 'declared by the operator', run: paper((ctx) => (ctx.policy.transfers.outsideEea ? `outside the EEA, under ${ctx.policy.transfers.safeguards.join('; ') || 'no stated safeguard'}` : 'within the EEA only')) },
    { id: 'contacts', claim: 'Contacts for privacy and security, and the DPO', promises: ['P-COM-5', 'P-PAP-4'], check: 'declared by the operator', run: paper((ctx) => `privacy ${ctx.policy.operator.privacyEmail}, security ${ctx.policy.operator.securityEmail}${ctx.policy.operator.dpo ? `, DPO ${ctx.policy.operator.dpo.name}` : ', no DPO declared'}`) },
  ];
}

/** Runs every check against `app`; records the report unless `record` is false. */
export async function runVerify(app: App, options: VerifyOptions & { record?: boolean } = {}): Promise<Report> {
  const ranAt = new Date();
  const ctx = await verifyContext(app, app.policy.loaded.policy, options);
  const rows: Row[] = [];
  let probe: Probe | undefined;
  let erased = true;
  try {
    probe = await plantProbe(ctx);
    for (const claim of claims(options.logFiles ?? [], app.policy.loaded.tableCategory)) {
      const started = performance.now();
      // A check that cannot run proves nothing: it fails, naming what stopped it (never a value).
      const outcome = await claim.run(ctx, probe!).catch((err: unknown) => fail(`the check could not run: ${(err as { code?: unknown }).code ?? (err as Error).name ?? 'error'}`));
      const { run: _run, ...described } = claim;
      rows.push({ ...described, ...outcome, durationMs: Math.round(performance.now() - started) });
    }
  } finally {
    if (probe) erased = await eraseProbe(ctx, probe).catch(() => false);
  }
  const problems = [...(probe?.problems ?? []), ...(erased ? [] : [`its erasure did not finish (${probe?.personId}): run custos erase --now for ${probe?.email}`])];
  if (problems.length > 0) rows.push({ id: 'probe', claim: 'The probe could act as a person, and was erased', promises: [], check: 'sign-up, a conversation and a credential through the API, then erasure', result: 'fail', evidence: problems.join('; '), durationMs: 0 });
  const report: Report = { ranAt, ok: rows.every((row) => row.result !== 'fail'), rows };
  if (options.record !== false) await app.policy.recordVerification(summaryOf(report));
  return report;
}
