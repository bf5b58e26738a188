// The five example deployments in examples/, one for each kind of product in PROMISES.md: custos
// boots on each one's policy, a person uses it, and `custos verify` finds every claim holding. Each
// one's /privacy is rendered by Chromium to screenshots/privacy-<example>.png, to be read.
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runVerify } from '../../src/verify/index.ts';
import { startTestApp } from '../support/app.ts';
import { ENGINE } from '../support/database.ts';
import { freePort } from '../support/ports.ts';
import { asBrowser, call, createKey, signUp } from '../support/people.ts';

const EXAMPLES = path.resolve(import.meta.dirname, '../../../../examples');
const SCREENSHOTS = path.resolve(import.meta.dirname, '../../../../screenshots');
const examples = fs.readdirSync(EXAMPLES, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();

let browser: Browser;
beforeAll(async () => {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
});
afterAll(async () => browser?.close());

describe(`the example deployments on ${ENGINE}`, () => {
  it('there are five, one for each kind of product', () => {
    expect(examples).toEqual(['chat-assistant', 'contract-testing', 'ops-agent', 'task-execution', 'trace-analysis']);
    for (const example of examples) expect(fs.existsSync(path.join(EXAMPLES, example, 'README.md')), example).toBe(true);
  });

  for (const example of examples) {
    it(`${example}: custos runs on its policy, verify finds every claim holding, and /privacy reads as a policy`, async () => {
      const port = await freePort();
      const t = await startTestApp({
        config: { policyFile: path.join(EXAMPLES, example, 'custos.policy.yaml'), port, host: '127.0.0.1', publicUrl: new URL(`http://localhost:${port}`) },
        infra: { extraMigrationDirs: [] },
      });
      try {
        const person = await signUp(t, { name: 'Grace' });
        const browserHeaders = asBrowser(t, person.cookie);
        const conversation = (await call(t, 'POST', '/v1/conversations', browserHeaders, { title: 'First' })).json().id;
        await call(t, 'POST', `/v1/conversations/${conversation}/messages`, browserHeaders, { role: 'user', content: 'hello' });
        await createKey(t.app.http, browserHeaders);
        const report = await runVerify(t.app);
        expect(report.rows.filter((row) => row.result === 'fail').map((row) => `${row.id}: ${row.evidence}`)).toEqual([]);
        const policy = t.app.policy.loaded.policy;

        await t.app.listen();
        const page = await browser.newPage();
        try {
          const response = await page.goto(`http://localhost:${port}/privacy`);
          expect(response?.status()).toBe(200);
          // Set no cookie, ran no script, loaded nothing else.
          expect(await page.context().cookies()).toEqual([]);
          expect(await page.locator('script').count()).toBe(0);
          await expect.poll(() => page.title()).toBe(`Privacy policy · ${policy.product.name}`);
          const headings = await page.locator('h2').allTextContents();
          expect(headings).toEqual(['In short', 'Who we are', 'What we collect, why, and for how long', 'Who processes your data for us', 'How we protect it', 'Cookies', 'Your rights, and how to use them', 'Sale, training and mail', 'Children', 'International transfers', 'Changes to this policy']);
          const text = await page.locator('main').innerText();
          expect(text).toContain(policy.operator.name);
          expect(text).toContain(policy.operator.privacyEmail);
          for (const subprocessor of policy.subprocessors) expect(text).toContain(subprocessor.name);
          expect(text).toMatch(/Verified less than a minute ago/);
          await page.setViewportSize({ width: 1000, height: 1200 });
          await page.screenshot({ path: path.join(SCREENSHOTS, `privacy-${example}-${ENGINE}.png`), fullPage: true });
        } finally {
          await page.close();
        }
      } finally {
        await t.close();
      }
    });
  }
});
