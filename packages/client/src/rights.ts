// A person's rights over their data: what is held, exports, erasure (a session's own, never an API
// key's), and the register of requests for instance administrators.
import type { CategoryHeld, ErasureView, ExportView, List, RequestView } from 'custos/views';
import type { Transport } from './transport.ts';
import { id, query } from './paths.ts';

export class Rights {
  readonly #c: Transport;
  constructor(client: Transport) {
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
