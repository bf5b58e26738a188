// The public pages as HTML: readable, accessible (landmarks, a table of contents, header cells),
// printable, and self-contained: one inline style block (allowed by its hash in the page's CSP), no
// script, no image, no font, no request to anyone. They set no cookie (P-COO-4).
import crypto from 'node:crypto';
import { escapeHtml } from '../../mail/index.ts';
import type { PolicyVersionView } from '../versions.ts';
import type { Subprocessor } from '../schema.ts';
import { sectionsOf, versionLine, type Block, type RenderContext, type Section } from './sections.ts';

/** The last `custos verify` run, as the pages show it. */
export interface VerificationSummary {
  ranAt: Date;
  rows: Array<{ id: string; claim: string; promises: string[]; result: 'pass' | 'fail' | 'warn' | 'declared'; evidence: string }>;
}

const STYLE = `
:root{color-scheme:light dark;--fg:#1b1b1b;--muted:#555;--line:#d0d0d0;--bg:#fff;--accent:#0b5cad;--ok:#1d6b2f;--bad:#a4161a}
@media (prefers-color-scheme:dark){:root{--fg:#e8e8e8;--muted:#aaa;--line:#444;--bg:#141414;--accent:#7fb2ff;--ok:#7bd88f;--bad:#ff8a8a}}
body{font:17px/1.6 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg);margin:0}
main{max-width:46rem;margin:0 auto;padding:2rem 1.25rem 4rem}
h1{font-size:1.9rem;line-height:1.25;margin:0 0 .25rem}h2{font-size:1.3rem;margin:2.2rem 0 .6rem;border-top:1px solid var(--line);padding-top:1.2rem}
a{color:var(--accent)}.meta,.verified{color:var(--muted);font-size:.9rem}
nav ol{columns:2;padding-left:1.2rem;margin:.5rem 0}
table{border-collapse:collapse;width:100%;font-size:.92rem;margin:.8rem 0}th,td{border:1px solid var(--line);padding:.4rem .55rem;text-align:left;vertical-align:top}
th{background:color-mix(in srgb,var(--line) 35%,transparent)}
.pass{color:var(--ok)}.fail{color:var(--bad);font-weight:600}
@media print{nav,.verified{display:none}body{font-size:11pt}main{max-width:none;padding:0}h2{break-after:avoid}tr{break-inside:avoid}}
`;

/** The page's Content-Security-Policy: nothing but its own style block, by hash. */
export const PAGE_CSP = `default-src 'none'; style-src 'sha256-${crypto.createHash('sha256').update(STYLE).digest('base64')}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;

export function page(title: string, body: string): string {
  return `<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<meta name="viewport" content="width=device-width, initial-scale=1">\n<title>${escapeHtml(title)}</title>\n<style>${STYLE}</style>\n</head>\n<body>\n<main>\n${body}\n</main>\n</body>\n</html>\n`;
}

function block(b: Block): string {
  switch (b.kind) {
    case 'paragraph': return `<p>${escapeHtml(b.text)}</p>`;
    case 'list': return `<ul>\n${b.items.map((item) => `<li>${escapeHtml(item)}</li>`).join('\n')}\n</ul>`;
    case 'table': return `<table>\n<thead><tr>${b.head.map((h) => `<th scope="col">${escapeHtml(h)}</th>`).join('')}</tr></thead>\n<tbody>\n${b.rows.map((row) => `<tr>${row.map((cell, i) => (i === 0 ? `<th scope="row">${escapeHtml(cell)}</th>` : `<td>${escapeHtml(cell)}</td>`)).join('')}</tr>`).join('\n')}\n</tbody>\n</table>`;
  }
}

function ago(from: Date, now: Date): string {
  const minutes = Math.max(0, Math.round((now.getTime() - from.getTime()) / 60_000));
  if (minutes < 1) return 'less than a minute ago';
  if (minutes < 120) return `${minutes} minute${minutes === 1 ? '' : 's'} ago`;
  const hours = Math.round(minutes / 60);
  return hours < 48 ? `${hours} hours ago` : `on ${from.toISOString().slice(0, 10)}`;
}

/** Under a section whose statements custos checks: when they were last verified, and how it went. */
function verifiedLine(section: Section, verification: VerificationSummary | undefined, now: Date): string {
  if (section.claims.length === 0) return '';
  if (!verification) return '<p class="verified">Not verified yet by <code>custos verify</code>.</p>';
  const rows = verification.rows.filter((row) => section.claims.includes(row.id));
  if (rows.length === 0) return '';
  const failed = rows.filter((row) => row.result === 'fail');
  const links = rows.map((row) => `<a href="/privacy/verification#${escapeHtml(row.id)}" class="${row.result === 'fail' ? 'fail' : 'pass'}">${escapeHtml(row.claim)}</a>`).join(', ');
  return `<p class="verified">Verified ${ago(verification.ranAt, now)}: ${failed.length === 0 ? 'every check holds' : `<span class="fail">${failed.length} check${failed.length === 1 ? '' : 's'} failed</span>`} (${links}).</p>`;
}

export function policyHtml(ctx: RenderContext, verification?: VerificationSummary, now = new Date()): string {
  const sections = sectionsOf(ctx);
  const toc = `<nav aria-label="Contents"><ol>${sections.map((s) => `<li><a href="#${s.id}">${escapeHtml(s.title)}</a></li>`).join('')}</ol></nav>`;
  const body = sections.map((s) => `<section id="${s.id}" aria-labelledby="${s.id}-title">\n<h2 id="${s.id}-title">${escapeHtml(s.title)}</h2>\n${s.blocks.map(block).join('\n')}\n${verifiedLine(s, verification, now)}\n</section>`).join('\n');
  const meta = `<p class="meta">${escapeHtml(versionLine(ctx))} · <a href="/privacy/versions">all versions</a> · <a href="/privacy.md">Markdown</a> · <a href="/subprocessors">subprocessors</a></p>`;
  return page(`Privacy policy · ${ctx.policy.product.name}`, `<header>\n<h1>Privacy policy of ${escapeHtml(ctx.policy.product.name)}</h1>\n${meta}\n</header>\n${toc}\n${body}`);
}

export function subprocessorsHtml(productName: string, subprocessors: readonly Subprocessor[], upcoming: Array<{ effectiveAt: Date; changes: string[] }>): string {
  const table = subprocessors.length === 0
    ? '<p>None: your data goes to no other company.</p>'
    : block({ kind: 'table', head: ['Who', 'For what', 'Where', 'What they receive'], rows: subprocessors.map((s) => [s.name, s.purpose, s.location, s.data.join('; ')]) });
  const next = upcoming.length === 0 ? '<p>No change is announced.</p>' : upcoming.map((u) => `<h2>From ${u.effectiveAt.toISOString().slice(0, 10)}</h2>\n${block({ kind: 'list', items: u.changes })}`).join('\n');
  return page(`Subprocessors · ${productName}`, `<h1>Subprocessors of ${escapeHtml(productName)}</h1>\n<p class="meta"><a href="/privacy">The privacy policy</a></p>\n${table}\n<h2>Announced changes</h2>\n${next}`);
}

export function versionsHtml(productName: string, versions: readonly PolicyVersionView[], inForce: number): string {
  const items = versions.map((v) => `<li><a href="/privacy/versions/${v.n}">Version ${v.n}</a>: published ${v.publishedAt.toISOString().slice(0, 10)}, in force from ${v.effectiveAt.toISOString().slice(0, 10)}${v.n === inForce ? ' (in force now)' : ''}${v.changes.length ? `\n${block({ kind: 'list', items: v.changes.map((c) => `${c.text}${c.material ? '' : ' (not material)'}`) })}` : ''}</li>`).join('\n');
  return page(`Versions of the privacy policy · ${productName}`, `<h1>Versions of the privacy policy</h1>\n<p class="meta"><a href="/privacy">The version in force</a></p>\n<ol reversed>\n${items}\n</ol>`);
}

export function verificationHtml(productName: string, verification: VerificationSummary | undefined, now = new Date()): string {
  if (!verification) return page(`Verification · ${productName}`, '<h1>Verification</h1>\n<p>custos verify has not run on this deployment yet.</p>');
  const rows = verification.rows.map((row) => `<tr id="${escapeHtml(row.id)}"><th scope="row">${escapeHtml(row.claim)}</th><td>${escapeHtml(row.promises.join(', '))}</td><td class="${row.result === 'fail' ? 'fail' : 'pass'}">${escapeHtml(row.result)}</td><td>${escapeHtml(row.evidence)}</td></tr>`).join('\n');
  return page(`Verification · ${productName}`, `<h1>How ${escapeHtml(productName)} keeps its promises</h1>\n<p class="meta">Checked by <code>custos verify</code> against the running system ${ago(verification.ranAt, now)} (${verification.ranAt.toISOString()}). <a href="/privacy">The privacy policy</a></p>\n<table>\n<thead><tr><th scope="col">Claim</th><th scope="col">Promises</th><th scope="col">Result</th><th scope="col">How it is checked</th></tr></thead>\n<tbody>\n${rows}\n</tbody>\n</table>`);
}
