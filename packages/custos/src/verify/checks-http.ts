// The checks a browser could make: the cookies of a real sign-up against what the policy declares,
// public pages without any cookie or script, TLS; and the log, searched for the probe's canaries.
import fs from 'node:fs';
import readline from 'node:readline';
import { SESSION_COOKIE_NAME } from '../policy/index.ts';
import type { VerifyContext } from './context.ts';
import type { Probe } from './probe.ts';
import { fail, pass, warn, type Outcome } from './report.ts';

interface SetCookie {
  name: string;
  attributes: Map<string, string>;
}

function parseSetCookie(header: string): SetCookie {
  const [pair = '', ...parts] = header.split(';');
  const attributes = new Map<string, string>();
  for (const part of parts) {
    const [key = '', ...value] = part.trim().split('=');
    attributes.set(key.toLowerCase(), value.join('='));
  }
  return { name: pair.slice(0, pair.indexOf('=')).trim(), attributes };
}

export async function sessionCookie(ctx: VerifyContext, probe: Probe): Promise<Outcome> {
  if (probe.signUp.status !== 200) return fail(`the probe's sign-up answered ${probe.signUp.status} (${ctx.httpTarget}): no cookie to read`);
  const https = ctx.app.config.publicUrl.protocol === 'https:';
  const cookies = probe.signUp.setCookies.map(parseSetCookie);
  const problems: string[] = [];
  const declared = new Map(ctx.policy.cookies.map((c) => [c.name, c]));
  for (const cookie of cookies) {
    const base = cookie.name.replace(/^__Secure-/, '');
    const promised = declared.get(base);
    if (!promised) {
      problems.push(`${cookie.name} is set but not declared`);
      continue;
    }
    const sameSite = cookie.attributes.get('samesite') ?? '(none)';
    if (sameSite.toLowerCase() !== promised.sameSite.toLowerCase()) problems.push(`${cookie.name} has SameSite=${sameSite}, the policy says ${promised.sameSite}`);
    if (cookie.attributes.has('httponly') !== promised.httpOnly) problems.push(`${cookie.name} is ${promised.httpOnly ? 'not ' : ''}HttpOnly, against the policy`);
    if (https && cookie.attributes.has('secure') !== promised.secure) problems.push(`${cookie.name} is ${promised.secure ? 'not ' : ''}Secure, against the policy`);
    const maxAge = Number(cookie.attributes.get('max-age') ?? NaN);
    if (Number.isFinite(maxAge) && maxAge > promised.maxAgeDays * 86_400) problems.push(`${cookie.name} lives ${Math.round(maxAge / 86_400)} days, the policy says at most ${promised.maxAgeDays}`);
  }
  if (!cookies.some((c) => c.name.replace(/^__Secure-/, '') === SESSION_COOKIE_NAME)) problems.push('the sign-up set no session cookie');
  const seen = cookies.map((c) => `${c.name} (${[...c.attributes.keys()].join(', ')})`).join('; ');
  if (problems.length > 0) return fail(`${problems.join('; ')}; set by a real sign-up (${ctx.httpTarget}): ${seen}`);
  const note = https ? '' : ' (served over http: Secure is set on https only)';
  return pass(`a real sign-up (${ctx.httpTarget}) set ${cookies.length} cookie(s), as declared: ${seen}${note}`);
}

export async function ready(ctx: VerifyContext): Promise<Outcome> {
  const answer = await ctx.http('GET', '/readyz');
  const body = JSON.parse(answer.body || '{}') as { status?: string; checks?: Record<string, string>; error?: { details?: unknown } };
  if (answer.status !== 200) return fail(`/readyz (${ctx.httpTarget}) answered ${answer.status}: ${JSON.stringify(body.error?.details ?? body).slice(0, 300)}`);
  return pass(`/readyz (${ctx.httpTarget}): ${Object.entries(body.checks ?? {}).map(([name, state]) => `${name} ${state}`).join(', ')}`);
}

const PUBLIC_PAGES = ['/privacy', '/privacy.md', '/subprocessors', '/privacy/versions', '/privacy/verification', '/healthz'];

export async function publicPages(ctx: VerifyContext): Promise<Outcome> {
  const problems: string[] = [];
  for (const page of PUBLIC_PAGES) {
    const answer = await ctx.http('GET', page);
    if (answer.status !== 200) problems.push(`${page} answered ${answer.status}`);
    if (answer.setCookies.length > 0) problems.push(`${page} set a cookie`);
    if (/<script/i.test(answer.body) || /script-src/.test(answer.headers['content-security-policy'] ?? '')) problems.push(`${page} runs a script`);
    if (/<(img|link|iframe)\b[^>]*\b(src|href)=["']?https?:/i.test(answer.body)) problems.push(`${page} loads something from elsewhere`);
  }
  return problems.length === 0 ? pass(`${PUBLIC_PAGES.length} public pages (${ctx.httpTarget}) set no cookie, run no script and load nothing from anyone`) : fail(problems.join('; '));
}

export async function transportSecurity(ctx: VerifyContext): Promise<Outcome> {
  const url = ctx.app.config.publicUrl;
  if (url.protocol === 'https:') {
    const answer = await ctx.http('GET', '/healthz');
    const hsts = answer.headers['strict-transport-security'];
    return hsts ? pass(`${url.origin}: HTTPS only, with ${hsts}`) : fail(`${url.origin} sends no Strict-Transport-Security header`);
  }
  const local = url.hostname === 'localhost' || /^127\./.test(url.hostname) || url.hostname === '[::1]';
  return local ? warn(`${url.origin} is plain http on this machine: fine for trying custos, not for people (set CUSTOS_PUBLIC_URL to an https URL)`) : fail(`${url.origin} is plain http: set CUSTOS_PUBLIC_URL to https and serve over TLS`);
}

async function linesOfFile(file: string, found: (line: string) => void): Promise<number> {
  let count = 0;
  const lines = readline.createInterface({ input: fs.createReadStream(file, 'utf8'), crlfDelay: Infinity });
  for await (const line of lines) {
    count += 1;
    found(line);
  }
  return count;
}

export async function canariesNotLogged(ctx: VerifyContext, probe: Probe, logFiles: readonly string[]): Promise<Outcome> {
  const canaries = Object.entries(probe.canaries);
  const hits = new Set<string>();
  const search = (line: string) => {
    for (const [what, value] of canaries) if (line.includes(value)) hits.add(what);
  };
  const own = ctx.app.recentLogs.lines();
  own.forEach(search);
  let fileLines = 0;
  for (const file of logFiles) fileLines += await linesOfFile(file, search);
  const searched = `${own.length} lines of this process's log${logFiles.length ? ` and ${fileLines} lines of ${logFiles.length} log file(s)` : ''}`;
  if (hits.size > 0) return fail(`the probe's ${[...hits].join(', ')} reached the log (${searched})`);
  const remote = ctx.httpTarget !== 'in-process' && logFiles.length === 0 ? warn : pass;
  return remote(`${canaries.length} canaries (a password, a name, a title, a message, a provider key) planted through the API; none in ${searched}${remote === warn ? '; the deployment\'s own logs were not given (--log)' : ''}`);
}
