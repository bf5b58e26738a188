// A person's rights over their data: what is held, exports, erasure (a session's own, never an API
// key's), and the register of requests for instance administrators.
import type { CustosClient } from './client.ts';
import type { List } from './identity.ts';
import { id, query } from './paths.ts';

export interface CategoryHeld {
  category: string;
  description: string;
  purposes: string[];
  retention: string;
  storage: string[];
  count: number;
  oldest: string | null;
  newest: string | null;
  sources: Array<{ table: string; workspaceId: string | null; count: number }>;
}
export type ExportStatus = 'queued' | 'running' | 'ready' | 'failed' | 'expired';
export interface ExportView { id: string; status: ExportStatus; progress: number; createdAt: string; readyAt: string | null; expiresAt: string | null; bytes: number | null; downloadUrl: string | null }
export interface ErasureView { id: string; status: 'scheduled' | 'running' | 'completed' | 'cancelled'; requestedAt: string; eraseAfter: string; completedAt: string | null }
export interface RequestView { id: string; personId: string; kind: string; source: 'api' | 'operator'; status: string; receivedAt: string; dueAt: string; completedAt: string | null; overdue: boolean }

export class Rights {
  readonly #c: CustosClient;
  constructor(client: CustosClient) {
    this.#c = client;
  }
  /** Everything held about the signed-in person, by category. */
  data() {
    return this.#c.request<{ personId: string; categories: CategoryHeld[] }>('GET', '/v1/me/data');
  }
  requestExport() {
    return this.#c.request<ExportView>('POST', '/v1/me/exports');
  }
  exports() {
    return this.#c.request<List<ExportView>>('GET', '/v1/me/exports');
  }
  export(exportId: string) {
    return this.#c.request<ExportView>('GET', `/v1/me/exports/${id(exportId)}`);
  }
  /** The ready archive (a ZIP) as a response whose body streams. */
  downloadExport(exportId: string) {
    return this.#c.send('GET', `/v1/me/exports/${id(exportId)}/archive`, undefined, { accept: 'application/zip' });
  }
  /** Needs a sign-in in the last few minutes; sessions, keys and credentials go at once. */
  requestErasure() {
    return this.#c.request<ErasureView>('POST', '/v1/me/erasure');
  }
  erasure() {
    return this.#c.request<ErasureView>('GET', '/v1/me/erasure');
  }
  cancelErasure() {
    return this.#c.request<ErasureView>('DELETE', '/v1/me/erasure');
  }
  /** The register (instance administrators). */
  requests(options: { overdue?: boolean; limit?: number; cursor?: string } = {}) {
    return this.#c.request<List<RequestView>>('GET', `/v1/admin/requests${query({ overdue: options.overdue ? 'true' : undefined, limit: options.limit, cursor: options.cursor })}`);
  }
}
