// What we hold about a person (P-RIG-1), built by walking the data registry: every table a person
// has rows in, grouped by category, with counts, oldest and newest dates, where it is stored, why
// and for how long. A table added to the registry appears here without a line of new code.
import type { Kysely } from 'kysely';
import { BLOBS, CATEGORIES, TABLES, type Category } from '../db/registry.ts';
import { countRows } from './rows.ts';
import { selectionsOf, type PersonScope } from './scope.ts';
import type { RightsTables } from './tables.ts';

/** How long each category is kept: what the privacy policy says, in the registry's words. */
const RETENTION: Record<Category, string> = {
  account: 'while your account exists; erased when you ask, after a grace period you may cancel in (everything is gone within 30 days)',
  sessions: 'until you sign out or the session expires',
  sign_in_tokens: 'until used or expired',
  workspaces: 'while the workspace exists, or until you leave it; that you were a member of one you left is kept until your account is erased, so that your export and erasure still reach what you wrote there',
  api_keys: 'until revoked; deleted at once when you ask to be erased',
  consents: 'while your account exists',
  audit: 'kept as the record of what was done; entries hold ids and times, and the IP address and user agent in them become unreadable when your account is erased',
  conversations: 'until deleted, or with your account or workspace',
  traces: 'until deleted, or with your workspace',
  credentials: 'until deleted; deleted at once when you ask to be erased',
  workflow_logs: 'until deleted, or with your workspace',
  requests: 'kept to prove every request was answered on time (ids and times only)',
  exports: 'until the download link expires',
  mail: 'until sent',
  encryption_keys: 'while the workspace exists; unreadable once it is erased',
  operations: 'as long as the service needs them',
};

export interface CategoryHeld {
  category: Category;
  description: string;
  purposes: string[];
  retention: string;
  storage: string[];
  count: number;
  oldest: Date | null;
  newest: Date | null;
  sources: Array<{ table: string; workspaceId: string | null; count: number }>;
}

function storageOf(sealed: boolean): string {
  return sealed ? 'PostgreSQL, content encrypted (AES-256-GCM) under keys kept apart from the database' : 'PostgreSQL';
}

/** Every category with rows about the person, in the registry's order of categories. */
export async function inventoryOf(db: Kysely<RightsTables>, scope: PersonScope): Promise<CategoryHeld[]> {
  const held = new Map<Category, CategoryHeld>();
  for (const selection of selectionsOf(scope, TABLES)) {
    const { count, oldest, newest } = await countRows(db, selection);
    if (count === 0) continue;
    const { entry } = selection;
    let item = held.get(entry.category);
    if (!item) {
      item = { category: entry.category, description: CATEGORIES[entry.category], purposes: [], retention: RETENTION[entry.category], storage: [], count: 0, oldest: null, newest: null, sources: [] };
      held.set(entry.category, item);
    }
    item.count += count;
    if (oldest && (!item.oldest || oldest < item.oldest)) item.oldest = oldest;
    if (newest && (!item.newest || newest > item.newest)) item.newest = newest;
    if (!item.purposes.includes(entry.purpose)) item.purposes.push(entry.purpose);
    const storage = storageOf(Object.keys(entry.sealed).length > 0);
    if (!item.storage.includes(storage)) item.storage.push(storage);
    for (const blob of BLOBS.filter((b) => b.table === entry.table)) {
      const files = `files (${blob.kind}), encrypted with the streaming format`;
      if (!item.storage.includes(files)) item.storage.push(files);
    }
    item.sources.push({ table: entry.table, workspaceId: selection.workspaceId, count });
  }
  const order = Object.keys(CATEGORIES) as Category[];
  return [...held.values()].sort((a, b) => order.indexOf(a.category) - order.indexOf(b.category));
}
