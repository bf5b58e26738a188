// What `custos verify` reports: one row per claim the policy makes, the promises it keeps (ids in
// PROMISES.md), how it was checked, the result and the evidence (counts, names, places; never a
// value). `declared` is a statement only the operator can keep (backups, logs kept elsewhere, the
// paper promises): it is shown as declared, never as verified.
import type { VerificationSummary } from '../policy/index.ts';

export type Result = 'pass' | 'fail' | 'warn' | 'declared';

export interface Row {
  id: string;
  claim: string;
  promises: string[];
  check: string;
  result: Result;
  evidence: string;
  durationMs: number;
}

export interface Report {
  ranAt: Date;
  ok: boolean;
  rows: Row[];
}

/** A check's outcome before it is timed and named. */
export interface Outcome {
  result: Result;
  evidence: string;
}

export interface Claim {
  id: string;
  claim: string;
  promises: string[];
  check: string;
}

export const pass = (evidence: string): Outcome => ({ result: 'pass', evidence });
export const fail = (evidence: string): Outcome => ({ result: 'fail', evidence });
export const warn = (evidence: string): Outcome => ({ result: 'warn', evidence });
export const declared = (evidence: string): Outcome => ({ result: 'declared', evidence });

/**
 * What the public verification page shows of a report: each claim, how it is checked and the
 * result. The evidence (host names, workspace ids, the runtime's role) is for the operator only:
 * the CLI and GET /v1/admin/verify.
 */
export function summaryOf(report: Report): VerificationSummary['rows'] {
  return report.rows.map(({ id, claim, promises, check, result }) => ({ id, claim, promises, result, evidence: check }));
}

/** The report as a terminal reads it: a line per claim, failures first in the eye. */
export function formatReport(report: Report): string {
  const mark = { pass: 'ok  ', fail: 'FAIL', warn: 'warn', declared: 'decl' } as const;
  const lines = report.rows.map((row) => `${mark[row.result]}  ${row.claim} [${row.promises.join(', ')}]\n      ${row.evidence}`);
  const failed = report.rows.filter((row) => row.result === 'fail').length;
  return `${lines.join('\n')}\n\n${failed === 0 ? 'every claim holds' : `${failed} claim(s) do not hold`} (${report.rows.length} checked at ${report.ranAt.toISOString()})\n`;
}
