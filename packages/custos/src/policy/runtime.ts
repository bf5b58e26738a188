// What the runtime reads from the policy: one source of truth for what it configures (request
// deadlines, the erasure grace period), with environment variables still overriding it for an
// operator who needs them.
import fs from 'node:fs';
import path from 'node:path';
import type { Config, RightsConfig } from '../core/config.ts';
import { ConfigError } from '../core/config.ts';
import { DEFAULT_POLICY_FILE, POLICY_FILE_NAME, loadPolicyFile, type LoadedPolicy } from './load.ts';
import type { Policy } from './schema.ts';

/** The file the policy comes from: --policy / CUSTOS_POLICY, else the data dir's, else the built-in default. */
export function policyFileOf(config: Pick<Config, 'policyFile' | 'dataDir'>): string {
  if (config.policyFile) return path.resolve(config.policyFile);
  const inDataDir = path.join(config.dataDir, POLICY_FILE_NAME);
  return fs.existsSync(inDataDir) ? inDataDir : DEFAULT_POLICY_FILE;
}

export function loadPolicy(config: Pick<Config, 'policyFile' | 'dataDir'>): LoadedPolicy {
  return loadPolicyFile(policyFileOf(config));
}

/** The rights configuration: the environment's values where set, the policy's otherwise. */
export function rightsConfig(overrides: Config['rights'], policy: Policy): RightsConfig {
  const rights: RightsConfig = {
    exportTtlSeconds: overrides.exportTtlSeconds,
    erasureGraceSeconds: overrides.erasureGraceSeconds ?? Math.round(policy.requests.erasureGraceDays * 86_400),
    requestDueDays: overrides.requestDueDays ?? policy.requests.dueDays,
  };
  if (rights.erasureGraceSeconds >= rights.requestDueDays * 86_400) {
    throw new ConfigError('the erasure grace period (CUSTOS_ERASURE_GRACE_DAYS or requests.erasureGraceDays) must be shorter than the request deadline');
  }
  return rights;
}
