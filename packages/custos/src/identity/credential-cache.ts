// Recently verified API keys, in memory, so that a busy key costs no database round trip per
// request. Trusted only while this server is told of every change that could alter what a key may
// do: the database NOTIFYs custos_credentials on any change to keys, memberships or policy
// acceptances (migration 0008), and this server's own identity changes clear it synchronously. If
// the listener goes down, the cache is emptied and bypassed until it is back; entries also expire
// after a few seconds, which bounds staleness even if a notification were somehow lost.
import type { Database } from '../db/connect.ts';
import type { Listener } from '../db/listen.ts';
import type { Scope } from '../core/principal.ts';

export const CREDENTIALS_CHANNEL = 'custos_credentials';

export interface CachedKey {
  id: string;
  creatorId: string;
  workspaceId: string;
  role: string;
  /** What the key may do: the lesser of its scopes and its creator's role, worked out once. */
  scopes: ReadonlySet<Scope>;
  expiresAt: Date | null;
  lastRequest: Date | null;
  terms: boolean;
}

export class CredentialCache {
  readonly #entries = new Map<string, { key: CachedKey; until: number }>();
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  #listener: Listener | undefined;
  // Bumped by every clear(): a lookup that started before a change must not cache what it read.
  #generation = 0;

  constructor(options: { ttlMs?: number; maxEntries?: number } = {}) {
    this.#ttlMs = options.ttlMs ?? 5000;
    this.#maxEntries = options.maxEntries ?? 10_000;
  }

  /** Starts listening; until then (and whenever the listener is down) nothing is cached. */
  async listen(database: Pick<Database, 'listen'>): Promise<void> {
    this.#listener = await database.listen(CREDENTIALS_CHANNEL, { notified: () => this.clear(), lost: () => this.clear() });
  }

  get(keyHash: string): CachedKey | undefined {
    if (!this.#listener?.healthy()) return undefined;
    const entry = this.#entries.get(keyHash);
    if (!entry) return undefined;
    if (entry.until <= Date.now()) {
      this.#entries.delete(keyHash);
      return undefined;
    }
    return entry.key;
  }

  /** Read before looking a key up in the database; hand it to set() with what was found. */
  generation(): number {
    return this.#generation;
  }

  set(keyHash: string, key: CachedKey, generation: number): void {
    if (!this.#listener?.healthy() || generation !== this.#generation) return;
    if (this.#entries.size >= this.#maxEntries) this.#entries.delete(this.#entries.keys().next().value!);
    this.#entries.set(keyHash, { key, until: Date.now() + this.#ttlMs });
  }

  clear(): void {
    this.#generation += 1;
    this.#entries.clear();
  }

  async close(): Promise<void> {
    this.clear();
    await this.#listener?.close();
    this.#listener = undefined;
  }
}
