// What changed between two versions of the policy, in sentences a person reads in the notice mail
// and on /privacy/versions, and whether the change is material (P-COM-2): what is collected, why,
// for how long, who processes it, and which cookies are set. A new operator address is not.
import canonicalize from 'canonicalize';
import type { Policy, PolicyCategory, PolicyCookie, Subprocessor } from './schema.ts';
import { CATEGORY_NAMES, retentionText } from './render/sections.ts';

export interface PolicyChange {
  text: string;
  material: boolean;
  /** Which part of the policy changed (the subprocessors page lists its own). */
  section: 'categories' | 'subprocessors' | 'cookies' | 'other';
}

const categoryName = (id: PolicyCategory['id']) => CATEGORY_NAMES[id].replace(/^./, (c) => c.toUpperCase());
const list = (items: readonly string[]) => items.join('; ');
// jsonb keeps no key order: compare canonical forms.
const same = (a: unknown, b: unknown) => canonicalize(a) === canonicalize(b);

function byKey<T>(items: readonly T[], key: (item: T) => string): Map<string, T> {
  return new Map(items.map((item) => [key(item), item]));
}

/** Adds, removes and changes of keyed items, each described by `describe`. */
function compare<T>(section: PolicyChange['section'], before: readonly T[], after: readonly T[], key: (item: T) => string, describe: {
  added: (item: T) => string; removed: (item: T) => string; changed: (was: T, now: T) => string[];
}): PolicyChange[] {
  const material = true;
  const old = byKey(before, key);
  const now = byKey(after, key);
  const changes: PolicyChange[] = [];
  for (const [name, item] of now) {
    const was = old.get(name);
    if (!was) changes.push({ text: describe.added(item), material, section });
    else if (!same(was, item)) changes.push(...describe.changed(was, item).map((text) => ({ text, material, section })));
  }
  for (const [name, item] of old) if (!now.has(name)) changes.push({ text: describe.removed(item), material, section });
  return changes;
}

const categories = (before: Policy, after: Policy) => compare('categories', before.categories, after.categories, (c) => c.id, {
  added: (c) => `We now keep ${CATEGORY_NAMES[c.id]} (${list(c.purposes)}): ${retentionText(c.retention)}.`,
  removed: (c) => `We no longer keep ${CATEGORY_NAMES[c.id]}.`,
  changed: (was, now) => [
    ...(!same(was.purposes, now.purposes) ? [`${categoryName(now.id)}: the purposes are now: ${list(now.purposes)} (were: ${list(was.purposes)}).`] : []),
    ...(was.retention !== now.retention ? [`${categoryName(now.id)}: kept ${retentionText(now.retention)} (was: ${retentionText(was.retention)}).`] : []),
    ...(was.legalBasis !== now.legalBasis ? [`${categoryName(now.id)}: the legal basis is now ${now.legalBasis.replaceAll('_', ' ')} (was ${was.legalBasis.replaceAll('_', ' ')}).`] : []),
    ...(!same(was.tables, now.tables) || !same(was.blobs, now.blobs) || was.description !== now.description ? [`${categoryName(now.id)}: what it covers changed.`] : []),
  ],
});

/** Every field of an item that changed, with its old value: nothing of a change goes unsaid. */
function fieldsChanged<T extends object>(was: T, now: T): string {
  const keys = [...new Set([...Object.keys(was), ...Object.keys(now)])] as Array<keyof T>;
  return keys.filter((key) => !same(was[key], now[key])).map((key) => `${String(key)}: ${JSON.stringify(now[key] ?? null)} (was ${JSON.stringify(was[key] ?? null)})`).join('; ');
}

const subprocessors = (before: Policy, after: Policy) => compare<Subprocessor>('subprocessors', before.subprocessors, after.subprocessors, (s) => s.name, {
  added: (s) => `New subprocessor: ${s.name} (${s.purpose}; ${s.location}), which receives ${list(s.data)}.`,
  removed: (s) => `${s.name} is no longer a subprocessor.`,
  changed: (was, now) => [`The subprocessor ${now.name} changed: ${fieldsChanged(was, now)}.`],
});

const cookies = (before: Policy, after: Policy) => compare<PolicyCookie>('cookies', before.cookies, after.cookies, (c) => c.name, {
  added: (c) => `New cookie ${c.name}: ${c.purpose}${c.essential ? '' : ' (only with your consent)'}.`,
  removed: (c) => `The cookie ${c.name} is no longer set.`,
  changed: (was, now) => [`The cookie ${now.name} changed: ${fieldsChanged(was, now)}.`],
});

function scalar(label: string, was: unknown, now: unknown, material: boolean): PolicyChange[] {
  return same(was, now) ? [] : [{ text: `${label}: ${JSON.stringify(now)} (was ${JSON.stringify(was)}).`, material, section: 'other' }];
}

export function policyChanges(before: Policy, after: Policy): PolicyChange[] {
  return [
    ...categories(before, after),
    ...subprocessors(before, after),
    ...cookies(before, after),
    ...scalar('Sign-in methods', before.signIn.methods, after.signIn.methods, true),
    ...scalar('Data of a closed account is deleted within (days)', before.closure.deleteWithinDays, after.closure.deleteWithinDays, true),
    ...scalar('Backups expire within (days)', before.backups.expireWithinDays, after.backups.expireWithinDays, true),
    ...scalar('Server logs are kept (days)', before.logs.keepDays, after.logs.keepDays, true),
    ...scalar('Transfers outside the EEA', before.transfers, after.transfers, true),
    ...scalar('Statements on sale, training, mail and analytics', before.statements, after.statements, true),
    ...scalar('Requests about your data are answered within (days)', before.requests, after.requests, true),
    // A shorter notice is material (it would let the next change in sooner); a longer one is not.
    ...scalar('Notice of material changes (days)', before.notice.materialChangeDays, after.notice.materialChangeDays, after.notice.materialChangeDays < before.notice.materialChangeDays),
    ...scalar('Minimum age', before.minimumAge, after.minimumAge, true),
    ...scalar('Who we are and how to reach us', before.operator, after.operator, false),
    ...scalar('The product', before.product, after.product, false),
  ];
}
