// The real application on a benchmark database, listening on loopback, with a signed-up person and
// an API key of theirs; rate limits raised so high that they never refuse (counting is still measured).
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { App, Infrastructure } from '../packages/custos/src/app.ts';
import type { Config } from '../packages/custos/src/core/config.ts';
import type { Principal, Scope } from '../packages/custos/src/core/principal.ts';
import { RATE_RULES } from '../packages/custos/src/identity/index.ts';
import { openBenchDatabase } from './bench-database.ts';

export interface BenchApp {
  app: App;
  port: number;
  /** The person's session cookie (`custos_session=…`) and API key. */
  cookie: string;
  key: string;
  /** The API key as the data services see their caller (to time them without HTTP). */
  principal: Principal;
  engine: 'PostgreSQL' | 'PGlite';
  close(): Promise<void>;
}

export async function benchApp(
  create: (config: Config, infra: Infrastructure) => Promise<App>,
  options: { scopes?: string[]; routes?: (http: FastifyInstance) => void; ownTablesOnly?: boolean } = {},
): Promise<BenchApp> {
  const bench = await openBenchDatabase({ ownTablesOnly: options.ownTablesOnly });
  // The application needs the data dir to itself (the embedded engine admits one process).
  await bench.runtime.close();
  const config = { ...bench.config, port: 0, publicUrl: new URL('http://localhost') };
  const app = await create(config, { logDestination: { write: () => undefined }, rateRules: {
    apiPerKey: { ...RATE_RULES.apiPerKey, points: 1e9 },
    apiPerPerson: { ...RATE_RULES.apiPerPerson, points: 1e9 },
  } });
  try {
    options.routes?.(app.http);
    await app.http.listen({ port: 0, host: '127.0.0.1' });
    const origin = 'http://localhost';
    const up = await app.http.inject({ method: 'POST', url: '/api/auth/sign-up/email', headers: { origin }, payload: { email: 'bench@example.test', password: 'correct horse battery' } });
    const cookie = String([up.headers['set-cookie']].flat()[0]).split(';')[0]!;
    const created = await app.http.inject({ method: 'POST', url: '/v1/api-keys', headers: { origin, cookie }, payload: { name: 'bench', scopes: options.scopes ?? ['read', 'write'] } });
    const { key, id: keyId } = created.json() as { key: string; id: string };
    const me = (await app.http.inject({ url: '/v1/me', headers: { authorization: `Bearer ${key}` } })).json() as { workspaceId: string; personId: string; role: string; scopes: Scope[] };
    return {
      app,
      port: (app.http.server.address() as AddressInfo).port,
      cookie,
      key,
      principal: { kind: 'api_key', workspaceId: me.workspaceId, personId: me.personId, role: me.role, scopes: new Set(me.scopes), credentialId: keyId, termsAccepted: true, client: {} },
      engine: config.databaseUrl ? 'PostgreSQL' : 'PGlite',
      close: async () => {
        await app.close();
        await bench.close().catch(() => undefined);
      },
    };
  } catch (err) {
    await app.close();
    await bench.close().catch(() => undefined);
    throw err;
  }
}
