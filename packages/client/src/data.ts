// Conversations and traces: typed wrappers over the routes in GET /docs. Spans are sent by an
// OpenTelemetry exporter pointed at `<baseUrl>/otlp` with an API key, not through this client.
import type { CustosClient } from './client.ts';
import type { List } from './identity.ts';
import { id, query } from './paths.ts';

export type MessageRole = 'system' | 'developer' | 'user' | 'assistant' | 'tool';
/** Text, or structured content (parts, tool calls) as any JSON array or object. */
export type MessageContent = string | unknown[] | Record<string, unknown>;

export interface ConversationView { id: string; title: string | null; messageCount: number; createdBy: string | null; createdAt: string; updatedAt: string }
export interface MessageInput { role: MessageRole; content: MessageContent; parentId?: string; model?: string; inputTokens?: number; outputTokens?: number }
export interface MessageView {
  id: string;
  conversationId: string;
  seq: number;
  parentId: string | null;
  role: MessageRole;
  content: MessageContent;
  model: string | null;
  inputTokens: number | null;
  outputTokens: number | null;
  createdBy: string | null;
  createdAt: string;
}
export interface PageOptions { limit?: number; cursor?: string }
/** A write sent again with the same key (a retry) is answered as the first was, and written once. */
export interface WriteOptions { idempotencyKey?: string }

/** OTLP/JSON's AnyValue: int64 as a decimal string, bytes as base64. */
export type AnyValue =
  | { stringValue: string } | { boolValue: boolean } | { intValue: string } | { doubleValue: number }
  | { arrayValue: { values: AnyValue[] } } | { kvlistValue: { values: KeyValue[] } } | { bytesValue: string } | Record<string, never>;
export interface KeyValue { key: string; value: AnyValue }

export interface TraceSummary {
  traceId: string;
  name: string | null;
  startTime: string;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  spanCount: number;
  errorCount: number;
  services: string[];
  models: string[];
  inputTokens: number;
  outputTokens: number;
}
export interface SpanNode {
  spanId: string;
  parentSpanId: string | null;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  status: { code: number; message: string };
  traceState: string;
  flags: number;
  attributes: KeyValue[];
  droppedAttributesCount: number;
  events: Array<{ timeUnixNano: string; name: string; attributes: KeyValue[]; droppedAttributesCount: number }>;
  droppedEventsCount: number;
  links: Array<{ traceId: string; spanId: string; traceState: string; flags: number; attributes: KeyValue[]; droppedAttributesCount: number }>;
  droppedLinksCount: number;
  resource: { attributes: KeyValue[]; droppedAttributesCount: number; schemaUrl: string };
  scope: { name: string; version: string; attributes: KeyValue[]; droppedAttributesCount: number; schemaUrl: string };
  serviceName: string | null;
  operation: string | null;
  provider: string | null;
  model: string | null;
  inputTokens: number | null;
  outputTokens: number | null;
  children: SpanNode[];
}
export interface TraceFilters extends PageOptions { from?: Date | string; to?: Date | string; service?: string; model?: string }

const idempotency = (options: WriteOptions = {}): Record<string, string> => (options.idempotencyKey ? { 'idempotency-key': options.idempotencyKey } : {});


export class Conversations {
  readonly #c: CustosClient;
  constructor(client: CustosClient) {
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
  readonly #c: CustosClient;
  constructor(client: CustosClient) {
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
