import { loadConfig, type Config, type ConfigOverrides } from '../core/config.ts';

export interface CommonFlags {
  dataDir?: string;
  port?: number;
  host?: string;
  tlsCert?: string;
  tlsKey?: string;
  /** custos.policy.yaml elsewhere than the data dir. */
  policy?: string;
}

export class UsageError extends Error {}

export function configFromFlags(flags: CommonFlags): Config {
  if (Boolean(flags.tlsCert) !== Boolean(flags.tlsKey)) throw new UsageError('--tls-cert and --tls-key go together');
  const overrides: ConfigOverrides = {};
  if (flags.dataDir) overrides.dataDir = flags.dataDir;
  if (flags.port !== undefined) overrides.port = flags.port;
  if (flags.host) overrides.host = flags.host;
  if (flags.tlsCert && flags.tlsKey) overrides.tls = { certFile: flags.tlsCert, keyFile: flags.tlsKey };
  if (flags.policy) overrides.policyFile = flags.policy;
  return loadConfig(process.env, overrides);
}

/** Prints a one-line reason and exits non-zero: a refusal is not a crash, so no stack trace. */
export function fail(err: unknown): never {
  process.stderr.write(`custos: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
