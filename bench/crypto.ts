// Hot path: sealing values and streaming blobs. Baseline: raw node:crypto AES-256-GCM on the same
// data in the same run (one key, no derivation, no envelope).
import crypto from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createSealStream, seal } from '../packages/custos/src/crypto/index.ts';
import { measure, report } from './measure.ts';

const KEY = crypto.randomBytes(32);
const VALUE = crypto.randomBytes(1024);
const STREAM_BYTES = 100 * 1024 * 1024;

// The baseline uses node:crypto at its fastest: a KeyObject made once (a raw Buffer key costs a
// key import on every call, slower than everything custos adds).
const KEY_OBJECT = crypto.createSecretKey(KEY);

function rawSeal(plaintext: Buffer): Buffer {
  const cipher = crypto.createCipheriv('aes-256-gcm', KEY_OBJECT, crypto.randomBytes(12));
  return Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
}

async function timeStream(name: string, transform: () => NodeJS.ReadWriteStream): Promise<{ name: string; seconds: number }> {
  const chunk = crypto.randomBytes(1024 * 1024);
  let sent = 0;
  const source = new Readable({ read() { if (sent >= STREAM_BYTES) this.push(null); else { sent += chunk.length; this.push(chunk); } } });
  const started = performance.now();
  await pipeline(source, transform(), new Writable({ write(_c, _e, cb) { cb(); } }));
  return { name, seconds: (performance.now() - started) / 1000 };
}

export async function benchCrypto(): Promise<void> {
  const ctx = { tenantId: crypto.randomUUID(), table: 'conversations', column: 'body', rowId: '' };
  const dataKey = { version: 1, key: KEY };
  const base = await measure('raw AES-256-GCM, 1 KiB', 50_000, async () => rawSeal(VALUE));
  const ours = await measure('custos seal (per-row key + envelope), 1 KiB', 50_000, async (i) => seal(dataKey, { ...ctx, rowId: String(i) }, VALUE));
  report('sealing 1 KiB values', base, [ours]);

  const raw = await timeStream('raw AES-256-GCM stream (one tag), 100 MiB', () => {
    return crypto.createCipheriv('aes-256-gcm', KEY_OBJECT, crypto.randomBytes(12));
  });
  const segmented = await timeStream('custos sealing stream (64 KiB segments), 100 MiB', () => createSealStream(dataKey, { ...ctx, rowId: 'blob' }));
  const mb = STREAM_BYTES / 1024 / 1024;
  process.stdout.write(`\nstreaming 100 MiB\n`);
  // eslint-disable-next-line no-console
  console.table([raw, segmented].map((r) => ({ case: r.name, 'MiB/s': Math.round(mb / r.seconds), 'time vs baseline': `${(r.seconds / raw.seconds).toFixed(2)}x` })));
}
