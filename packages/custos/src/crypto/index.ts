// The public face of crypto/: what other modules import.
export { DataKeys, type KeysTables, type KeysTrx } from './data-keys.ts';
export { open, seal, sealedKeyVersion, type DataKey, type SealContext } from './envelope.ts';
export type { KeyProvider, WrappedSecret } from './key-provider.ts';
export { Keystore, type SecretId } from './keystore.ts';
export { personDataKey, personKey } from './person-key.ts';
export { credentialKey, shredCredentialKey } from './credential-key.ts';
export { KeyFileError, LocalKeyFile } from './local-key-file.ts';
export { addMasterKeyVersion, retireMasterKeyVersion, rewrapDataKeys, type InTenant, type RotationDeps } from './rotation.ts';
export { Sealer } from './sealer.ts';
export { createOpenStream, createSealStream } from './stream.ts';
