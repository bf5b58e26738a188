// Conversations and traces: typed wrappers over the routes in GET /docs. Spans are sent by an
// OpenTelemetry exporter pointed at `<baseUrl>/otlp` with an API key, not through this client.
import type { ConversationView, List, MessageInput, MessageView, SpanNode, TraceFilters, TraceSummary } from 'custos/views';
import type { Transport } from './transport.ts';
import { id, query } from './paths.ts';

export interface PageOptions { limit?: number; cursor?: string }
/** A write sent again with the same key (a retry) is answered as the first was, and written once. */
export interface WriteOptions { idempotencyKey?: string }

const idempotency = (options: WriteOptions = {}): Record<string, string> => (options.idempotencyKey ? { 'idempotency-key': options.idempotencyKey } : {});

export class Conversations {
  readonly #c: Transport;
  constructor(client: Transport) {
    this.#c = client;
  }
  create(input: { title?: string } = {}, options?: WriteOptions) {
    return this.#c.request<ConversationView>('POST', '/v1/conversations', input, idempotency(options));
  }
  list(options: PageOptions = {}) {
    return this.#c.request<List<ConversationView>>('GET', `/v1/conversations${query({ ...options })}`);
  }
  get(conversationId: string) {
    return this.#c.request<ConversationView>('GET', `/v1/conversations/${id(conversationId)}`);
  }
  delete(conversationId: string) {
    return this.#c.request<void>('DELETE', `/v1/conversations/${id(conversationId)}`);
  }
  addMessage(conversationId: string, message: MessageInput, options?: WriteOptions) {
    return this.#c.request<MessageView>('POST', `/v1/conversations/${id(conversationId)}/messages`, message, idempotency(options));
  }
  /** Up to 1,000 messages in one request, stored in order. */
  addMessages(conversationId: string, messages: MessageInput[], options?: WriteOptions) {
    return this.#c.request<{ items: MessageView[] }>('POST', `/v1/conversations/${id(conversationId)}/messages`, { messages }, idempotency(options));
  }
  messages(conversationId: string, options: PageOptions = {}) {
    return this.#c.request<List<MessageView>>('GET', `/v1/conversations/${id(conversationId)}/messages${query({ ...options })}`);
  }
  message(conversationId: string, messageId: string) {
    return this.#c.request<MessageView>('GET', `/v1/conversations/${id(conversationId)}/messages/${id(messageId)}`);
  }
  deleteMessage(conversationId: string, messageId: string) {
    return this.#c.request<void>('DELETE', `/v1/conversations/${id(conversationId)}/messages/${id(messageId)}`);
  }
}

export class Traces {
  readonly #c: Transport;
  constructor(client: Transport) {
    this.#c = client;
  }
  list(filters: TraceFilters = {}) {
    return this.#c.request<List<TraceSummary>>('GET', `/v1/traces${query({ ...filters })}`);
  }
  /** The trace's spans as a tree. */
  get(traceId: string) {
    return this.#c.request<{ traceId: string; spans: SpanNode[] }>('GET', `/v1/traces/${id(traceId)}`);
  }
  delete(traceId: string) {
    return this.#c.request<void>('DELETE', `/v1/traces/${id(traceId)}`);
  }
}
