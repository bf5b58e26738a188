// A person verify makes, through the public routes, to see what a real person gets: the cookies
// of a real sign-up, and canaries (a password, a name, a message, a provider key) planted where a
// careless log line or a clear column would show them. Its address is under .invalid, so no mail
// to it is ever handed to a relay; afterwards it is erased like anyone who asks.
import crypto from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { personIdByEmail } from '../identity/index.ts';
import type { HttpAnswer, VerifyContext } from './context.ts';

export interface Probe {
  email: string;
  personId: string | null;
  /** Its personal workspace: the sealed-value checks always look into it. */
  workspaceId: string | null;
  /** The sign-up's answer: the cookies a browser would be handed. */
  signUp: HttpAnswer;
  /** Values that must never appear in a log line or a clear column. */
  canaries: Record<string, string>;
  /** What did not work, if planting failed part-way (a check then says so). */
  problems: string[];
}

const token = () => crypto.randomBytes(9).toString('base64url').replace(/[-_]/g, 'x');

export async function plantProbe(ctx: VerifyContext): Promise<Probe> {
  const id = token();
  const canaries = {
    password: `verify-canary-pw-${id}`,
    name: `Verify Canary ${id}`,
    title: `verify canary title ${id}`,
    message: `verify canary message ${id}`,
    secret: `sk-verify-canary-${id}${token()}`,
  };
  const email = `verify-${id.toLowerCase()}@verify.invalid`;
  const origin = ctx.app.config.publicUrl.origin;
  const problems: string[] = [];
  const signUp = await ctx.http('POST', '/api/auth/sign-up/email', { headers: { origin }, body: { email, password: canaries.password, name: canaries.name } });
  if (signUp.status !== 200) problems.push(`sign-up answered ${signUp.status}`);
  const cookie = signUp.setCookies.map((c) => c.split(';')[0]).join('; ');
  const asPerson = { cookie, origin };
  const write = async (path: string, body: unknown) => {
    const answer = await ctx.http('POST', path, { headers: asPerson, body });
    if (answer.status !== 201) problems.push(`${path} answered ${answer.status}`);
    return answer.status === 201 ? (JSON.parse(answer.body) as { id: string }).id : null;
  };
  const conversation = await write('/v1/conversations', { title: canaries.title });
  if (conversation) await write(`/v1/conversations/${conversation}/messages`, { role: 'user', content: canaries.message });
  await write('/v1/credentials', { provider: 'generic', label: `verify ${id}`, secret: canaries.secret, baseUrl: 'https://verify.invalid/' });
  const personId = await personIdByEmail(ctx.app.identity.db, email).catch(() => null);
  const me = cookie ? await ctx.http('GET', '/v1/me', { headers: { cookie } }) : undefined;
  const workspaceId = me?.status === 200 ? (JSON.parse(me.body) as { workspaceId: string }).workspaceId : null;
  await ctx.refreshTenants();
  return { email, personId, workspaceId, signUp, canaries, problems };
}

/** Erases the probe as an operator would (`custos erase --now`); false when it could not finish. */
export async function eraseProbe(ctx: VerifyContext, probe: Probe): Promise<boolean> {
  if (!probe.personId) return true;
  const erasure = await ctx.app.rights.erasures.request(probe.personId, 'operator', { now: true });
  for (let i = 0; i < 30; i += 1) {
    if (await ctx.app.rights.erasures.run(erasure.id)) return true;
    if ((await ctx.app.rights.erasures.get(erasure.id)).status === 'completed') return true;
    await sleep(500);
  }
  return false;
}
