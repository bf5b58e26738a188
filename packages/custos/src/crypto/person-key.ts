// Personal data that must outlive a person's place in a shared workspace (audit IP and user agent,
// policy acceptances) is sealed under the person's own secret, kept in the keystore: erasing the
// person shreds it, and every copy becomes unreadable.
import { hkdf } from './aead.ts';
import type { DataKey } from './envelope.ts';
import type { Keystore } from './keystore.ts';

// Person keys are not versioned data keys: version 0 in the envelope says "a person's key".
export const PERSON_KEY_VERSION = 0;

export async function personKey(keystore: Keystore, personId: string, create: boolean): Promise<Buffer> {
  return hkdf(await keystore.secret(`person:${personId}`, { create }), Buffer.alloc(0), 'custos/v1/person-data');
}

export async function personDataKey(keystore: Keystore, personId: string, create: boolean): Promise<DataKey> {
  return { version: PERSON_KEY_VERSION, key: await personKey(keystore, personId, create) };
}
