// Hot path: messages appended in batches of 100 through POST /v1/conversations/:id/messages with an
// API key (authentication, validation, the conversation's row lock, sealing each message, one
// multi-row INSERT under RLS, the JSON answer). Baseline, same run: a plain INSERT of the same 100
// rows (plain text content) into an unprotected twin table, straight through the pool, timed in
// alternation with ours (one batch each in turn).
import crypto from 'node:crypto';
import http from 'node:http';
import { sql } from 'kysely';
import { createApp } from '../packages/custos/src/app.ts';
import { newId } from '../packages/custos/src/core/ids.ts';
import { benchApp } from './bench-app.ts';
import { measureInterleaved, report, type Measurement } from './measure.ts';

const BATCH = 100;
const BATCHES = Number(process.env.BENCH_BATCHES ?? 200);

// Chat-like messages of a few hundred bytes to a few KiB, distinct as real ones are.
function messages(n: number) {
  return Array.from({ length: n }, (_, i) => ({
    role: i % 2 ? ('assistant' as const) : ('user' as const),
    content: crypto.randomBytes(150 + (i % 7) * 150).toString('base64'),
    ...(i % 2 ? { model: 'gpt-5', inputTokens: 120 + i, outputTokens: 80 + i } : {}),
  }));
}

export async function benchIngestMessages(): Promise<void> {
  const bench = await benchApp(createApp);
  const { app, port, key, principal } = bench;
  try {
    const agent = new http.Agent({ keepAlive: true });
    const post = (path: string, body: string) => new Promise<void>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, path, method: 'POST', agent, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 201 ? resolve() : reject(new Error(`status ${res.statusCode}`))));
      });
      req.on('error', reject);
      req.end(body);
    });
    const conversation = await new Promise<string>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, path: '/v1/conversations', method: 'POST', agent, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' } }, (res) => {
        let text = '';
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => (res.statusCode === 201 ? resolve(JSON.parse(text).id) : reject(new Error(`status ${res.statusCode}`))));
      });
      req.end('{}');
    });
    const bodies = Array.from({ length: 20 }, () => messages(BATCH));
    const payloads = bodies.map((batch) => JSON.stringify({ messages: batch }));
    const db = app.database.db;
    let seq = 0;
    const plain = async (op: number) => {
      const batch = bodies[op % bodies.length]!;
      const ids = batch.map(() => newId());
      const first = seq;
      seq += batch.length;
      await sql`insert into bench_messages_plain (id, conversation_id, seq, role, content, model, input_tokens, output_tokens)
        select m.id, ${conversation}::uuid, ${first}::bigint + m.ord, m.role, m.content, m.model, m.input_tokens, m.output_tokens
          from unnest(${ids}::uuid[], ${batch.map((m) => m.role)}::text[], ${batch.map((m) => m.content)}::text[], ${batch.map((m) => m.model ?? null)}::text[],
                      ${batch.map((m) => m.inputTokens ?? null)}::int[], ${batch.map((m) => m.outputTokens ?? null)}::int[])
               with ordinality as m(id, role, content, model, input_tokens, output_tokens, ord)`.execute(db);
    };
    const [base, service, ours] = await measureInterleaved([
      { name: `plain INSERT of ${BATCH} rows`, op: plain },
      { name: 'store (no HTTP)', op: (op) => app.data.messages.append(principal, conversation, bodies[op % bodies.length]!).then(() => undefined) },
      { name: `POST ${BATCH} messages (HTTP, key, sealed, RLS)`, op: (op) => post(`/v1/conversations/${conversation}/messages`, payloads[op % payloads.length]!) },
    ], BATCHES) as [Measurement, Measurement, Measurement];
    agent.destroy();
    report(`message ingest on ${app.database.engine}, batches of ${BATCH} (${BATCHES} batches)`, base, [service, ours]);
    const rate = (m: typeof base) => Math.round(m.opsPerSecond * BATCH);
    const ratio = (m: Measurement) => (m.opsPerSecond / base.opsPerSecond).toFixed(2);
    process.stdout.write(`messages/s: plain INSERT ${rate(base)}, store ${rate(service)} (ratio ${ratio(service)}), over HTTP ${rate(ours)} (ratio ${ratio(ours)})\n`);
  } finally {
    await bench.close();
  }
}
