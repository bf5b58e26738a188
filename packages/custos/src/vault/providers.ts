// The providers a workspace can hold keys to: where an action with such a key may go, how the key is
// presented, and how keys of that provider look in text (so that a provider's error that echoes one,
// or another one, is scrubbed before it is stored, logged or returned). Operators add their own in a
// JSON file (CUSTOS_PROVIDERS_FILE); an OAuth connection will be one more kind of credential of a
// provider, presented the same way.
import fs from 'node:fs';
import { z } from 'zod';

export interface Provider {
  name: string;
  /** Host names an action may call (lower case, exact). Empty: the credential's baseUrl decides. */
  hosts: readonly string[];
  /** The header that carries the secret, lower case, and the scheme before it (`Bearer`), if any. */
  auth: { header: string; scheme?: string };
  /** How this provider's secrets look, for scrubbing (each with the g flag). */
  secretPatterns: readonly RegExp[];
  /** Whether a credential must name its own base URL (the generic provider). */
  needsBaseUrl: boolean;
}

const bearer = { header: 'authorization', scheme: 'Bearer' };

export const BUILT_IN_PROVIDERS: readonly Provider[] = [
  { name: 'openai', hosts: ['api.openai.com'], auth: bearer, secretPatterns: [/\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}/g], needsBaseUrl: false },
  { name: 'anthropic', hosts: ['api.anthropic.com'], auth: { header: 'x-api-key' }, secretPatterns: [/\bsk-ant-[A-Za-z0-9_-]{20,}/g], needsBaseUrl: false },
  {
    name: 'github',
    hosts: ['api.github.com'],
    auth: bearer,
    secretPatterns: [/\bgh[pousr]_[A-Za-z0-9]{36,255}\b/g, /\bgithub_pat_[A-Za-z0-9_]{22,255}\b/g],
    needsBaseUrl: false,
  },
  { name: 'vercel', hosts: ['api.vercel.com'], auth: bearer, secretPatterns: [], needsBaseUrl: false },
  // Any HTTPS API: the credential's base URL is the one place its actions may call.
  { name: 'generic', hosts: [], auth: bearer, secretPatterns: [], needsBaseUrl: true },
];

const headerName = z.string().regex(/^[A-Za-z0-9-]{1,64}$/).transform((name) => name.toLowerCase());
const operatorProvider = z.object({
  name: z.string().regex(/^[a-z][a-z0-9_-]{0,63}$/),
  hosts: z.array(z.string().regex(/^[a-z0-9.-]{1,253}$/)).min(1),
  header: headerName,
  scheme: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/).optional(),
  /** A regular expression source matching this provider's secrets. */
  secretPattern: z.string().max(500).optional(),
}).strict();
const providersFile = z.object({ providers: z.array(operatorProvider) }).strict();

export class ProviderRegistry {
  readonly #providers = new Map<string, Provider>();

  constructor(extra: readonly Provider[] = []) {
    for (const provider of [...BUILT_IN_PROVIDERS, ...extra]) {
      if (this.#providers.has(provider.name)) throw new Error(`provider ${provider.name} is defined twice`);
      this.#providers.set(provider.name, provider);
    }
  }

  get(name: string): Provider | undefined {
    return this.#providers.get(name);
  }

  names(): string[] {
    return [...this.#providers.keys()];
  }

  /** Every provider's patterns: a response may echo any kind of key, not only the one used. */
  allSecretPatterns(): RegExp[] {
    return [...this.#providers.values()].flatMap((provider) => provider.secretPatterns);
  }
}

/** Reads the operator's providers file; a mistake stops start-up with the file's name, not its contents. */
export function loadOperatorProviders(file: string | undefined): Provider[] {
  if (!file) return [];
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    // Not the parser's message: it quotes the file, which may hold what should not be logged.
    throw new Error(`the providers file ${file} cannot be read as JSON`);
  }
  const parsed = providersFile.safeParse(json);
  if (!parsed.success) throw new Error(`the providers file ${file} is not valid: ${parsed.error.issues.map((issue) => issue.path.join('.')).join(', ')}`);
  for (const entry of parsed.data.providers) {
    try {
      new RegExp(entry.secretPattern ?? '', 'g');
    } catch {
      throw new Error(`the providers file ${file} has a secretPattern that is not a regular expression (provider ${entry.name})`);
    }
  }
  return parsed.data.providers.map((entry) => ({
    name: entry.name,
    hosts: entry.hosts,
    auth: { header: entry.header, ...(entry.scheme ? { scheme: entry.scheme } : {}) },
    secretPatterns: entry.secretPattern ? [new RegExp(entry.secretPattern, 'g')] : [],
    needsBaseUrl: false,
  }));
}
