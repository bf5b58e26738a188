// A provider credential's own key: from a keystore secret of its own, so that deleting the
// credential shreds that secret and every copy of the sealed value (backups included) stops opening.
import { hkdf } from './aead.ts';
import type { DataKey } from './envelope.ts';
import type { Keystore } from './keystore.ts';

// Not a versioned data key: version 0 in the envelope, as a person's key.
const CREDENTIAL_KEY_VERSION = 0;

export async function credentialKey(keystore: Keystore, credentialId: string, create: boolean): Promise<DataKey> {
  const secret = await keystore.secret(`credential:${credentialId}`, { create });
  return { version: CREDENTIAL_KEY_VERSION, key: hkdf(secret, Buffer.alloc(0), 'custos/v1/credential') };
}

export async function shredCredentialKey(keystore: Keystore, credentialId: string): Promise<void> {
  await keystore.shred(`credential:${credentialId}`);
}
