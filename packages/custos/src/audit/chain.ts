// The hash chain, shared by the writer and the verifier so that they cannot disagree:
//   hash_0 = SHA-256("custos/v1/audit-genesis" | chain)
//   hash_n = SHA-256(hash_{n-1} | entry bytes of n)
// where the entry bytes are a length-prefixed encoding of every stored column but the hash itself
// (chain, seq, time, actor, action, target, details, sealed client). The head's MAC is
// HMAC-SHA256(audit key, chain | seq | hash).
import crypto from 'node:crypto';
import { encodeParts } from '../crypto/aead.ts';

export const INSTANCE_CHAIN = '00000000-0000-0000-0000-000000000000';

export interface StoredEntry {
  tenant_id: string;
  seq: string | number | bigint;
  at: Date;
  actor_id: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  details: Record<string, unknown>;
  client_sealed: Buffer | null;
}

/** JSON with sorted keys: jsonb does not keep key order, so the hash must not depend on it. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function entryBytes(entry: StoredEntry): Buffer {
  return encodeParts([
    'custos/v1/audit-entry',
    entry.tenant_id,
    String(entry.seq),
    entry.at.toISOString(),
    entry.actor_id ?? '',
    entry.action,
    entry.target_type ?? '',
    entry.target_id ?? '',
    canonicalJson(entry.details),
    entry.client_sealed ?? Buffer.alloc(0),
  ]);
}

export function genesisHash(chain: string): Buffer {
  return crypto.createHash('sha256').update(encodeParts(['custos/v1/audit-genesis', chain])).digest();
}

export function nextHash(previous: Buffer, entry: StoredEntry): Buffer {
  return crypto.createHash('sha256').update(previous).update(entryBytes(entry)).digest();
}

export function headMac(key: Buffer, chain: string, seq: string | number | bigint, hash: Buffer): Buffer {
  return crypto.createHmac('sha256', key).update(encodeParts(['custos/v1/audit-head', chain, String(seq), hash])).digest();
}
