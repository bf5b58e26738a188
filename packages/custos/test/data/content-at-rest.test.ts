// P-ENC-1, P-LOG-1 for the AI data: content planted through every write route (conversation titles,
// message content, span names, attributes, events, links, resources, scopes and status messages, in
// OTLP protobuf and JSON) comes back to its owner, yet a scan of every column of every row (as the
// schema owner, past RLS, as a dump or a stolen backup would read it) finds none of it in clear, in
// text or as bytes; nor does any log line or error body.
import { context, SpanStatusCode, trace } from '@opentelemetry/api';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.ts';
import { Canaries } from '../support/canary.ts';
import { ENGINE } from '../support/database.ts';
import { dumpTexts } from '../support/dump.ts';
import { recordSpans } from '../support/otel.ts';
import { asBrowser, createKey, signUp } from '../support/people.ts';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => t?.close());

function spansCarrying(canaries: Canaries, via: string): Promise<ReadableSpan[]> {
  return recordSpans((tracer) => {
    const root = tracer.startSpan(canaries.plant(`span name (${via})`), {
      attributes: { [canaries.plant(`attribute key (${via})`)]: 1, 'gen_ai.prompt': canaries.plant(`attribute value (${via})`), list: [canaries.plant(`array value (${via})`)] },
    });
    const child = tracer.startSpan('child', { links: [{ context: root.spanContext(), attributes: { why: canaries.plant(`link attribute (${via})`) } }] }, trace.setSpan(context.active(), root));
    child.addEvent(canaries.plant(`event name (${via})`), { said: canaries.plant(`event attribute (${via})`) });
    child.setStatus({ code: SpanStatusCode.ERROR, message: canaries.plant(`status message (${via})`) });
    child.end();
    root.end();
  }, {
    provider: { resource: resourceFromAttributes({ 'service.name': 'content-test', 'host.name': canaries.plant(`resource attribute (${via})`) }) },
    scope: { name: canaries.plant(`scope name (${via})`), version: '1.0.0' },
  });
}

describe(`content at rest and in logs on ${ENGINE}`, () => {
  it('P-ENC-1, P-LOG-1, P-DAT-2, P-DAT-3: no planted content is stored, logged or echoed in clear', async () => {
    const canaries = new Canaries();
    const person = await signUp(t);
    const key = await createKey(t.app.http, asBrowser(t, person.cookie));
    const auth = { authorization: `Bearer ${key.key}` };
    const errorBodies: string[] = [];
    const send = async (method: 'POST' | 'GET', url: string, headers: Record<string, string>, payload?: object | string | Buffer) => {
      const res = await t.app.http.inject({ method, url, headers, ...(payload === undefined ? {} : { payload }) });
      if (res.statusCode >= 400) errorBodies.push(res.body);
      return res;
    };

    // Conversations, by session and by key, one message at a time and in a batch.
    const title = canaries.plant('conversation title');
    const conversation = (await send('POST', '/v1/conversations', asBrowser(t, person.cookie), { title })).json();
    const text = canaries.plant('message text');
    const parts = [{ type: 'text', text: canaries.plant('structured message part') }];
    expect((await send('POST', `/v1/conversations/${conversation.id}/messages`, auth, { role: 'user', content: text })).statusCode).toBe(201);
    expect((await send('POST', `/v1/conversations/${conversation.id}/messages`, auth, { messages: [{ role: 'assistant', content: parts }, { role: 'tool', content: { out: canaries.plant('tool output') } }] })).statusCode).toBe(201);
    // Refused writes carrying content: their error bodies are scanned too.
    expect((await send('POST', `/v1/conversations/${conversation.id}/messages`, auth, { role: 'wizard', content: canaries.plant('content of a refused message') })).statusCode).toBe(400);
    expect((await send('POST', `/v1/conversations/${conversation.id}/messages`, auth, { role: 'user', content: canaries.plant('content with a foreign parent'), parentId: '00000000-0000-4000-8000-000000000000' })).statusCode).toBe(400);
    expect((await send('POST', '/v1/conversations', auth, { title: canaries.plant('title of an unknown field'), [canaries.plant('unknown field name')]: 1 })).statusCode).toBe(400);

    // Traces in both encodings, and refused OTLP bodies.
    const viaProto = await spansCarrying(canaries, 'protobuf');
    const viaJson = await spansCarrying(canaries, 'json');
    expect((await send('POST', '/otlp/v1/traces', { ...auth, 'content-type': 'application/x-protobuf' }, Buffer.from(ProtobufTraceSerializer.serializeRequest(viaProto)!))).statusCode).toBe(200);
    expect((await send('POST', '/otlp/v1/traces', { ...auth, 'content-type': 'application/json' }, Buffer.from(JsonTraceSerializer.serializeRequest(viaJson)!))).statusCode).toBe(200);
    const badJson = `{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"${canaries.plant('name in a malformed OTLP body')}","traceId":42}]}]}]}`;
    expect((await send('POST', '/otlp/v1/traces', { ...auth, 'content-type': 'application/json' }, badJson)).statusCode).toBe(400);
    expect((await send('POST', '/otlp/v1/traces', { ...auth, 'content-type': 'application/x-protobuf' }, Buffer.concat([Buffer.from([0x0a, 0x7f]), Buffer.from(canaries.plant('bytes of a truncated protobuf'))]))).statusCode).toBe(400);

    // The owner reads it all back: stored, not lost.
    const messages = (await send('GET', `/v1/conversations/${conversation.id}/messages`, auth)).json();
    expect(messages.items.map((m: { content: unknown }) => m.content)).toEqual([text, parts, expect.any(Object)]);
    expect((await send('GET', `/v1/conversations/${conversation.id}`, auth)).json().title).toBe(title);
    const tree = (await send('GET', `/v1/traces/${viaProto[0]!.spanContext().traceId}`, auth)).body;
    expect(tree).toContain(viaProto.find((s) => s.name !== 'child')!.name);

    await t.app.close();
    const dump = await dumpTexts(t.config);
    for (const table of ['public.conversations', 'public.messages', 'public.spans', 'public.traces', 'public.audit_entries']) {
      expect(dump[table]?.length ?? 0, table).toBeGreaterThan(0);
    }
    const texts: Record<string, string> = { log: t.logs.text(), 'error bodies': errorBodies.join('\n'), ...dump };
    expect(canaries.size).toBeGreaterThan(20);
    expect(canaries.leaks(texts)).toEqual([]);
  });
});
