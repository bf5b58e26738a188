// What we hold about a person (P-RIG-1), built by walking the data registry: every table a person
// has rows in, grouped by category, with counts, oldest and newest dates, where it is stored, why
// and for how long. A table added to the registry appears here without a line of new code.
import type { Kysely } from 'kysely';
import { BLOBS, CATEGORIES, TABLES, type Category } from '../db/registry.ts';
import { countRows } from './rows.ts';
import { selectionsOf, type PersonScope } from './scope.ts';
import type { RightsTables } from './tables.ts';

/** How the privacy policy describes a category: the same words as /privacy (src/policy). */
export type DescribeCategory = (category: Category) => { description: string; purposes: string[]; retention: string } | undefined;

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
export async function inventoryOf(db: Kysely<RightsTables>, scope: PersonScope, describe: DescribeCategory): Promise<CategoryHeld[]> {
  const held = new Map<Category, CategoryHeld>();
  for (const selection of selectionsOf(scope, TABLES)) {
    const { count, oldest, newest } = await countRows(db, selection);
    if (count === 0) continue;
    const { entry } = selection;
    let item = held.get(entry.category);
    if (!item) {
      // The policy's words where it describes the category; the registry's otherwise.
      const described = describe(entry.category);
      item = {
        category: entry.category, description: described?.description ?? CATEGORIES[entry.category], purposes: [...(described?.purposes ?? [])],
        retention: described?.retention ?? 'as the privacy policy says', storage: [], count: 0, oldest: null, newest: null, sources: [],
      };
      held.set(entry.category, item);
    }
    item.count += count;
    if (oldest && (!item.oldest || oldest < item.oldest)) item.oldest = oldest;
    if (newest && (!item.newest || newest > item.newest)) item.newest = newest;
    if (!describe(entry.category) && !item.purposes.includes(entry.purpose)) item.purposes.push(entry.purpose);
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
