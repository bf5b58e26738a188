import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { KEY_FILE_NAME, LocalKeyFile } from '../../src/crypto/local-key-file.ts';
import { KEYSTORE_FILE_NAME, Keystore } from '../../src/crypto/keystore.ts';

const dirs: string[] = [];
function dataDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'custos-keys-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

describe('local master key file', () => {
  it('P-ENC-1: is created on first start with mode 0600, and the operator is told to back it up once', () => {
    const dir = dataDir();
    const told: string[] = [];
    LocalKeyFile.open(dir, { onCreated: (file) => told.push(file) });
    LocalKeyFile.open(dir, { onCreated: (file) => told.push(file) });
    expect(told).toEqual([path.join(dir, KEY_FILE_NAME)]);
    expect(fs.statSync(path.join(dir, KEY_FILE_NAME)).mode & 0o777).toBe(0o600);
  });

  it('P-ENC-1: custos refuses a key file readable by others, or a damaged one', () => {
    const dir = dataDir();
    LocalKeyFile.open(dir);
    const file = path.join(dir, KEY_FILE_NAME);
    fs.chmodSync(file, 0o644);
    expect(() => LocalKeyFile.open(dir)).toThrow(/readable by other users; run chmod 600/);
    fs.chmodSync(file, 0o600);
    fs.writeFileSync(file, '{"format":1,"current":2,"keys":{"1":"x"}}');
    expect(() => LocalKeyFile.open(dir)).toThrow(/is damaged/);
  });

  it('P-ENC-4: wraps under the current version; a new version keeps old wraps opening until destroyed', async () => {
    const keys = LocalKeyFile.open(dataDir());
    const secret = Buffer.from('a data key, 32 bytes long.......');
    const v1 = await keys.wrap(secret, Buffer.from('tenant:a'));
    expect(v1.kekVersion).toBe(1);
    expect(v1.blob.includes(secret)).toBe(false);
    await expect(keys.unwrap(v1, Buffer.from('tenant:b'))).rejects.toMatchObject({ code: 'sealed_data_invalid' });
    expect(await keys.generate()).toBe(2);
    const v2 = await keys.wrap(secret, Buffer.from('tenant:a'));
    expect(v2.kekVersion).toBe(2);
    expect(await keys.unwrap(v1, Buffer.from('tenant:a'))).toEqual(secret);
    await expect(keys.destroy(2)).rejects.toMatchObject({ code: 'conflict' });
    await keys.destroy(1);
    expect(await keys.versions()).toEqual([2]);
    await expect(keys.unwrap(v1, Buffer.from('tenant:a'))).rejects.toMatchObject({ code: 'key_unavailable' });
    expect(await keys.unwrap(v2, Buffer.from('tenant:a'))).toEqual(secret);
  });
});

describe('keystore', () => {
  it('P-ENC-1: a tenant secret is made once, kept wrapped in the data dir, and the same for every reader', async () => {
    const dir = dataDir();
    const keys = LocalKeyFile.open(dir);
    const [a, b] = await Promise.all([
      new Keystore(dir, keys).secret('tenant:11111111-1111-4111-8111-111111111111'),
      new Keystore(dir, keys).secret('tenant:11111111-1111-4111-8111-111111111111'),
    ]);
    expect(a).toEqual(b);
    expect(await new Keystore(dir, keys).secret('tenant:11111111-1111-4111-8111-111111111111')).toEqual(a);
    const file = fs.readFileSync(path.join(dir, KEYSTORE_FILE_NAME), 'utf8');
    expect(file).not.toContain(a.toString('base64'));
    expect(file).not.toContain(a.toString('hex'));
    expect(fs.statSync(path.join(dir, KEYSTORE_FILE_NAME)).mode & 0o777).toBe(0o600);
  });

  it('P-RET-5: a shredded secret is gone for every reader, with a clear code, and is never re-created', async () => {
    const dir = dataDir();
    const keys = LocalKeyFile.open(dir);
    const store = new Keystore(dir, keys);
    await store.secret('person:22222222-2222-4222-8222-222222222222');
    await store.shred('person:22222222-2222-4222-8222-222222222222');
    await expect(store.secret('person:22222222-2222-4222-8222-222222222222')).rejects.toMatchObject({ code: 'key_shredded' });
    await expect(new Keystore(dir, keys).secret('person:22222222-2222-4222-8222-222222222222')).rejects.toMatchObject({ code: 'key_shredded' });
    await expect(store.secret('tenant:33333333-3333-4333-8333-333333333333', { create: false })).rejects.toMatchObject({ code: 'key_unavailable' });
  });

  it('P-ENC-4: rewrap moves every secret to the new master key without changing it', async () => {
    const dir = dataDir();
    const keys = LocalKeyFile.open(dir);
    const store = new Keystore(dir, keys);
    const ids = ['tenant:44444444-4444-4444-8444-444444444444', 'person:55555555-5555-4555-8555-555555555555'] as const;
    const before = await Promise.all(ids.map((id) => store.secret(id)));
    await keys.generate();
    expect(await store.rewrap()).toBe(2);
    expect(store.kekVersionsInUse()).toEqual(new Set([2]));
    await keys.destroy(1);
    const fresh = new Keystore(dir, keys);
    expect(await Promise.all(ids.map((id) => fresh.secret(id)))).toEqual(before);
  });
});
