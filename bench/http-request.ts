// Hot path: every API request passes custos's conventions (request id, security headers,
// authentication hook, error handling, the request log line). Baseline: a bare Fastify server
// answering the same JSON on the same machine, so the ratio is the price of those conventions.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import pino from 'pino';
import { buildHttpServer } from '../packages/custos/src/http/server.ts';
import { nobodyIsSignedIn } from '../packages/custos/src/core/principal.ts';
import { createLogger } from '../packages/custos/src/core/log.ts';
import { loadConfig } from '../packages/custos/src/core/config.ts';
import { measure, report } from './measure.ts';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 5000);
const CONCURRENCY = 10;

function client(port: number): (path: string) => Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  return (path) =>
    new Promise((resolve, reject) => {
      http.get({ host: '127.0.0.1', port, path, agent }, (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`status ${res.statusCode}`))));
      }).on('error', reject);
    });
}

export async function benchHttpRequest(): Promise<void> {
  const bare = Fastify();
  bare.get('/healthz', async () => ({ status: 'ok' }));
  await bare.listen({ port: 0, host: '127.0.0.1' });

  // Logs go to /dev/null, but they are written: the log line is part of the cost.
  const log = createLogger({ level: 'info', destination: pino.destination({ dest: '/dev/null', sync: false }) });
  const custos = await buildHttpServer({
    config: loadConfig({}, { port: 0 }),
    log,
    authenticate: nobodyIsSignedIn,
    readiness: async () => ({}),
  });
  await custos.listen({ port: 0, host: '127.0.0.1' });
  try {
    const getBare = client((bare.server.address() as AddressInfo).port);
    const getCustos = client((custos.server.address() as AddressInfo).port);
    const baseline = await measure('bare Fastify, GET /healthz', REQUESTS, () => getBare('/healthz'), CONCURRENCY);
    const withConventions = await measure('custos conventions, GET /healthz', REQUESTS, () => getCustos('/healthz'), CONCURRENCY);
    report(`HTTP request over loopback (${REQUESTS} requests, ${CONCURRENCY} at a time)`, baseline, [withConventions]);
  } finally {
    await custos.close();
    await bare.close();
  }
}
