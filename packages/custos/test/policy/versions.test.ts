// P-COM-2, P-COM-3, P-ACC-6: the policy file published as versions. The first start publishes it
// as version 1; a material change is refused before its notice period, mailed to every account
// with what changed, listed with the announced subprocessors, and from its effective date the
// version people must accept; a change that is not material takes effect at once, unannounced.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import type { Clock } from '../../src/core/clock.ts';
import { DEFAULT_POLICY_FILE } from '../../src/policy/index.ts';
import { ENGINE } from '../support/database.ts';
import { startIdentityApp, type IdentityTestApp } from '../support/identity-app.ts';
import { asBrowser, call, signUp, type Person } from '../support/people.ts';

const DAY = 86_400_000;
let offset = 0;
const clock: Clock = { now: () => new Date(Date.now() + offset) };
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'custos-policy-'));
const file = path.join(dir, 'custos.policy.yaml');
const DEFAULT = fs.readFileSync(DEFAULT_POLICY_FILE, 'utf8');
const WITH_SUBPROCESSOR = DEFAULT.replace('subprocessors: []', `subprocessors:
  - name: Postmark
    kind: mail
    purpose: sends the mail about your account
    location: United States
    data: [email address, the mail's content]
    hosts: [smtp.postmarkapp.com]`);

let t: IdentityTestApp;
let people: Person[];
beforeAll(async () => {
  fs.writeFileSync(file, DEFAULT);
  t = await startIdentityApp({ config: { policyFile: file }, infra: { clock } });
  people = [await signUp(t), await signUp(t), await signUp(t)];
});
afterAll(async () => {
  await t?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The file edited, and the server restarted on it (as `custos policy publish` reads the file). */
async function restartWith(text: string): Promise<void> {
  fs.writeFileSync(file, text);
  await t.app.close();
  t.app = await createApp(t.config, { logDestination: t.logs, clock, jobPollingIntervalSeconds: 1, mailRetry: { delaySeconds: 1 } });
  await t.app.http.ready();
}

describe(`published policy versions on ${ENGINE}`, () => {
  it('P-COM-2: the first start publishes the file as version 1, in force, and people accept it at sign-up', async () => {
    expect(t.app.policy.versions.inForce()).toBe(1);
    expect((await call(t, 'GET', '/v1/me/terms', asBrowser(t, people[0]!.cookie))).json()).toMatchObject({ currentVersion: '1', accepted: true });
    const page = await t.app.http.inject({ url: '/privacy' });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('This is version 1, in force since');
  });

  it('P-COM-2, P-COM-3: a new subprocessor is refused before the notice period, then announced to every account with what changes', async () => {
    await restartWith(WITH_SUBPROCESSOR);
    const policy = t.app.policy.loaded.policy;
    const tooSoon = await t.app.policy.versions.publish(policy, new Date(clock.now().getTime() + 10 * DAY)).catch((err: unknown) => err as Error & { details?: { earliest: string } });
    expect(tooSoon).toMatchObject({ code: 'conflict', message: expect.stringMatching(/30 days after it is announced at the earliest/) });
    const earliest = new Date((tooSoon as { details: { earliest: string } }).details.earliest);
    expect(Math.round((earliest.getTime() - clock.now().getTime()) / DAY)).toBe(30);

    const published = await t.app.policy.versions.publish(policy);
    expect(published).toMatchObject({ n: 2, material: true });
    expect(published!.changes.map((c) => c.text)).toEqual(['New subprocessor: Postmark (sends the mail about your account; United States), which receives email address; the mail\'s content.']);
    // Every account is told, before it takes effect.
    for (const person of people) {
      const mail = await t.mailTo(person.email, 'Our privacy policy is changing');
      expect(mail.parsed.text).toContain('New subprocessor: Postmark');
      expect(mail.parsed.text).toContain(`Version 2 of our privacy policy takes effect on ${published!.effectiveAt.toUTCString()}`);
    }
    // Until then version 1 is in force; the change is listed where people look.
    expect(t.app.policy.versions.inForce()).toBe(1);
    expect((await t.app.http.inject({ url: '/privacy' })).body).not.toContain('Postmark');
    expect((await t.app.http.inject({ url: '/subprocessors' })).body).toMatch(/Announced changes[\s\S]*From \d{4}-\d\d-\d\d[\s\S]*New subprocessor: Postmark/);
    expect((await t.app.http.inject({ url: '/privacy/versions' })).body).toMatch(/Version 2<\/a>: published .* in force from/);
    expect((await t.app.http.inject({ url: '/privacy/versions/2' })).body).toContain('Postmark');
    // Whoever signs up after the mailing, before the change takes effect, is told at sign-up.
    await expect.poll(async () => (await t.app.policy.versions.list()).length).toBe(2);
    const newcomer = await signUp(t);
    expect((await t.mailTo(newcomer.email, 'Our privacy policy is changing')).parsed.text).toContain('/privacy/versions/2');
  });

  it('P-ACC-6: from the effective date the new version is in force, and people accept it before anything else', async () => {
    offset = 31 * DAY;
    await t.app.policy.versions.refresh();
    expect(t.app.policy.versions.inForce()).toBe(2);
    const browser = asBrowser(t, people[1]!.cookie);
    const blocked = await call(t, 'GET', '/v1/workspaces', browser);
    expect(blocked.statusCode).toBe(403);
    expect(blocked.json().error.code).toBe('terms_not_accepted');
    expect((await call(t, 'POST', '/v1/me/terms', browser, { version: '2' })).statusCode).toBe(200);
    expect((await call(t, 'GET', '/v1/workspaces', browser)).statusCode).toBe(200);
    expect((await t.app.http.inject({ url: '/privacy' })).body).toContain('Postmark');
  });

  it('P-COM-2: a change that is not material takes effect at once and mails nobody; publishing the same file twice changes nothing', async () => {
    const before = t.smtp.received.length;
    await restartWith(WITH_SUBPROCESSOR.replace('privacyEmail: privacy@example.com', 'privacyEmail: dpo-desk@example.com'));
    const published = await t.app.policy.versions.publish(t.app.policy.loaded.policy);
    expect(published).toMatchObject({ n: 3, material: false });
    expect(published!.effectiveAt.getTime()).toBeLessThanOrEqual(clock.now().getTime());
    expect(t.app.policy.versions.inForce()).toBe(3);
    // Nobody is asked to accept again for a new address: the newest material version is still 2.
    expect((await call(t, 'GET', '/v1/workspaces', asBrowser(t, people[1]!.cookie))).statusCode).toBe(200);
    expect((await call(t, 'GET', '/v1/me/terms', asBrowser(t, people[1]!.cookie))).json()).toMatchObject({ currentVersion: '2', accepted: true });
    expect(await t.app.policy.versions.publish(t.app.policy.loaded.policy)).toBeNull();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(t.smtp.received.length).toBe(before);
  });
});
