// What a new version changes, and which changes are material (P-COM-2): what is collected, why, for
// how long, who processes it, the cookies, and a shorter notice period; not the operator's address.
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY_FILE, parsePolicy, policyChanges } from '../../src/policy/index.ts';

const base = parsePolicy(fs.readFileSync(DEFAULT_POLICY_FILE, 'utf8')).policy;
const changed = (edit: (policy: typeof base) => void) => {
  const copy = structuredClone(base);
  edit(copy);
  return policyChanges(base, copy);
};

describe('policy changes', () => {
  it('a longer retention, a new cookie, a subprocessor that starts training are material, and say every field that changed', () => {
    expect(changed((p) => (p.categories.find((c) => c.id === 'conversations')!.retention = '400d'))).toEqual([
      { text: 'Conversations: kept 400 days, then deleted (sooner if you delete it or your account) (was: while your account exists; deleted with it).', material: true, section: 'categories' },
    ]);
    const withProvider = structuredClone(base);
    withProvider.subprocessors.push({ name: 'Acme AI', kind: 'model_provider', purpose: 'answers', location: 'US', data: ['messages'], hosts: ['api.acme.example'], noTraining: true });
    const training = structuredClone(withProvider);
    training.subprocessors[0]!.noTraining = false;
    expect(policyChanges(withProvider, training)).toEqual([{ text: 'The subprocessor Acme AI changed: noTraining: false (was true).', material: true, section: 'subprocessors' }]);
  });

  it('a shorter notice period is material, a longer one and a new address are not', () => {
    expect(changed((p) => (p.notice.materialChangeDays = 0))[0]).toMatchObject({ material: true });
    expect(changed((p) => (p.notice.materialChangeDays = 60))[0]).toMatchObject({ material: false });
    expect(changed((p) => (p.operator.address = '1 New Street'))).toEqual([expect.objectContaining({ material: false, section: 'other' })]);
  });
});
