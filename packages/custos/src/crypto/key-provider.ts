// Master keys (KEKs). custos never needs a master key's bytes outside the provider: it asks the
// provider to wrap and unwrap the secrets and data keys below it. So a cloud KMS fits the same
// interface (Encrypt/Decrypt with an encryption context, CreateKey, ScheduleKeyDeletion).

export interface WrappedSecret {
  /** The master key version that wrapped it. */
  kekVersion: number;
  blob: Buffer;
}

export interface KeyProvider {
  /** The version new wraps use. */
  currentVersion(): Promise<number>;
  /** Every version that can still unwrap. */
  versions(): Promise<number[]>;
  /** Wraps under the current version; `aad` binds what the secret is for (it must match on unwrap). */
  wrap(plaintext: Buffer, aad: Buffer): Promise<WrappedSecret>;
  unwrap(wrapped: WrappedSecret, aad: Buffer): Promise<Buffer>;
  /** Adds a master key version and makes it current. */
  generate(): Promise<number>;
  /** Destroys a retired version: whatever it alone wrapped can never be unwrapped again. */
  destroy(version: number): Promise<void>;
}
