// custos.policy.yaml is read with positions: a bad file is refused at start naming the line, the
// column and the field; the built-in default passes and files every registry table once.
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TABLES } from '../../src/db/registry.ts';
import { DEFAULT_POLICY_FILE, PolicyError, loadPolicyFile, parsePolicy } from '../../src/policy/load.ts';
import { policyJsonSchema } from '../../src/policy/schema.ts';

const DEFAULT = fs.readFileSync(DEFAULT_POLICY_FILE, 'utf8');

function problemsOf(text: string) {
  try {
    parsePolicy(text, 'test.policy.yaml');
  } catch (err) {
    if (err instanceof PolicyError) return err.problems;
    throw err;
  }
  throw new Error('the policy was accepted');
}

/** The default with one line replaced (the first that contains `from`). */
const edited = (from: string, to: string) => {
  expect(DEFAULT).toContain(from);
  return DEFAULT.replace(from, to);
};
const lineOf = (text: string, needle: string) => text.split('\n').findIndex((line) => line.includes(needle)) + 1;

describe('the policy file', () => {
  it('the built-in default is valid and files every table of the data registry in exactly one category', () => {
    const loaded = loadPolicyFile(DEFAULT_POLICY_FILE);
    expect(loaded.isDefault).toBe(true);
    for (const entry of TABLES) expect(loaded.tableCategory.get(entry.table), entry.table).toBe(entry.category);
    expect(loaded.policy.requests).toEqual({ dueDays: 30, erasureGraceDays: 7 });
  });

  it('a YAML syntax error names its line and column', () => {
    const text = edited('minimumAge: 16', 'minimumAge: [16');
    const [problem] = problemsOf(text);
    expect(problem!.message).toMatch(/not valid YAML/);
    expect(problem!.line).toBeGreaterThanOrEqual(lineOf(text, 'minimumAge'));
  });

  it('a field of the wrong shape is named with its place', () => {
    const text = edited('materialChangeDays: 30', 'materialChangeDays: soon');
    expect(problemsOf(text)).toEqual([{ field: 'notice.materialChangeDays', line: lineOf(text, 'materialChangeDays'), column: 23, message: expect.stringMatching(/number/) }]);
  });

  it('an unknown table is refused where it is listed', () => {
    const text = edited("  - id: traces\n", "  - id: traces\n    tables: [traces, spans, span_secrets]\n");
    expect(problemsOf(text)).toEqual([{ field: 'categories[8].tables[2]', line: lineOf(text, 'span_secrets'), column: expect.any(Number), message: 'span_secrets is not a table of the data registry' }]);
  });

  it('a table in no category, or in two, is named', () => {
    const none = edited("  - id: traces\n", "  - id: traces\n    tables: [traces]\n");
    expect(problemsOf(none).map((p) => p.message)).toEqual(['the table spans belongs to no category (the data registry files it under traces)']);
    const twice = edited("  - id: traces\n", "  - id: traces\n    tables: [traces, spans, messages]\n");
    expect(problemsOf(twice).map((p) => p.message)).toEqual(['messages is in two categories: conversations and traces']);
  });

  it('a retention longer than the account is refused: past the closure deadline, or account-long for what outlives erasure', () => {
    const past = edited("  - id: conversations\n    purposes: [to keep your conversations so that you can continue them]\n    legalBasis: contract\n    retention: account", "  - id: conversations\n    purposes: [to keep your conversations so that you can continue them]\n    legalBasis: contract\n    retention: account + 45d");
    expect(problemsOf(past)).toEqual([{ field: 'categories[7].retention', line: lineOf(past, 'account + 45d'), column: expect.any(Number), message: expect.stringMatching(/^retention longer than the account: .* within 30 days/) }]);
    const audit = edited('retention: 365d', 'retention: account');
    expect(problemsOf(audit)[0]!.message).toMatch(/audit_entries, audit_heads outlive the account/);
  });

  it('a sign-in method this version cannot do, and a missing session cookie, are refused', () => {
    expect(problemsOf(edited('methods: [password]', 'methods: [password, oidc]'))[0]).toMatchObject({ field: 'signIn.methods[1]', message: 'oidc sign-in is not available in this version of custos' });
    const noCookie = edited('  - name: custos_session', '  - name: other_cookie');
    expect(problemsOf(noCookie)[0]!.message).toBe('custos sets the session cookie custos_session: the policy must declare it');
  });

  it('two subprocessors or cookies of one name, and a retention of zero days, are refused', () => {
    const twice = edited('subprocessors: []', 'subprocessors:\n  - { name: Acme, kind: mail, purpose: mail, location: EU, data: [address] }\n  - { name: Acme, kind: hosting, purpose: servers, location: EU, data: [everything] }');
    expect(problemsOf(twice)).toEqual([expect.objectContaining({ field: 'subprocessors[1].name', message: 'the subprocessor Acme is declared twice' })]);
    expect(problemsOf(edited('retention: 365d', 'retention: 0d'))[0]).toMatchObject({ field: 'categories[6].retention' });
  });

  it('is published as JSON Schema', () => {
    const schema = policyJsonSchema() as { properties: Record<string, unknown>; required: string[] };
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['operator', 'categories', 'cookies', 'subprocessors', 'notice']));
    expect(schema.required).toEqual(expect.arrayContaining(['format', 'operator', 'categories']));
  });
});

describe('a bad policy file at start', () => {
  it('stops custos before anything opens, naming the file, the line and the field', async () => {
    const { createApp } = await import('../../src/app.ts');
    const { loadConfig } = await import('../../src/core/config.ts');
    const os = await import('node:os');
    const path = await import('node:path');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'custos-bad-policy-'));
    try {
      const file = path.join(dir, 'custos.policy.yaml');
      fs.writeFileSync(file, edited('  dueDays: 30', '  dueDays: 45'));
      const config = loadConfig({}, { dataDir: dir, policyFile: file });
      await expect(createApp(config)).rejects.toThrow(new RegExp(`${file}: line ${lineOf(fs.readFileSync(file, 'utf8'), 'dueDays: 45')}, column \\d+: requests.dueDays: `));
      // Nothing was opened: no database, no key file.
      expect(fs.readdirSync(dir)).toEqual(['custos.policy.yaml']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
