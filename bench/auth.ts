// Hot path: an API-key-authenticated GET. Each one hashes the key, looks it up with its creator's
// role and policy acceptance, and counts it against the key's rate limit. Baseline: an
// unauthenticated GET on the same server, in the same run, so the ratio is the price of
// authentication. Both routes answer the same small JSON and touch nothing else.
import http from 'node:http';
import { createApp } from '../packages/custos/src/app.ts';
import { benchApp } from './bench-app.ts';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 5000);
const CONCURRENCY = 10;

interface Latencies {
  name: string;
  requestsPerSecond: number;
  p50: number;
  p99: number;
}

async function run(name: string, port: number, path: string, headers: Record<string, string>): Promise<Latencies> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const once = () => new Promise<number>((resolve, reject) => {
    const started = performance.now();
    http.get({ host: '127.0.0.1', port, path, agent, headers }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve(performance.now() - started) : reject(new Error(`status ${res.statusCode}`))));
    }).on('error', reject);
  });
  const lanes = async (count: number, into: number[]) => {
    let next = 0;
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (next++ < count) into.push(await once());
    }));
  };
  await lanes(Math.floor(REQUESTS / 10), []);
  const times: number[] = [];
  const started = performance.now();
  await lanes(REQUESTS, times);
  const seconds = (performance.now() - started) / 1000;
  times.sort((a, b) => a - b);
  agent.destroy();
  return { name, requestsPerSecond: REQUESTS / seconds, p50: times[Math.floor(times.length * 0.5)]!, p99: times[Math.floor(times.length * 0.99)]! };
}

export async function benchAuth(): Promise<void> {
  const { port, key, cookie, engine, close } = await benchApp(createApp, {
    scopes: ['read'],
    routes: (http) => {
      http.get('/bench/public', { config: { auth: 'public' }, schema: { hide: true } }, async () => ({ ok: true }));
      http.get('/bench/authenticated', { schema: { hide: true } }, async () => ({ ok: true }));
    },
  });
  try {
    const baseline = await run('unauthenticated GET', port, '/bench/public', {});
    const withKey = await run('API-key GET', port, '/bench/authenticated', { authorization: `Bearer ${key}` });
    const withSession = await run('session-cookie GET', port, '/bench/authenticated', { cookie });
    process.stdout.write(`\nAuthenticated GET on ${engine} (${REQUESTS} requests, ${CONCURRENCY} at a time, keep-alive, loopback)\n`);
    console.table([baseline, withKey, withSession].map((m) => ({ // eslint-disable-line no-console
      case: m.name,
      'requests/s': Math.round(m.requestsPerSecond),
      'p50 ms': m.p50.toFixed(2),
      'p99 ms': m.p99.toFixed(2),
      'throughput vs baseline': (m.requestsPerSecond / baseline.requestsPerSecond).toFixed(2),
    })));
  } finally {
    await close();
  }
}
