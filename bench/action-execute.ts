// Hot path of confirm-before-mutate: an agent proposes an operation (API key), a person approves it
// (session), custos runs it: the operation sealed and its hash checked, the compare-and-set, the
// secret opened with its audit entry, the guarded HTTPS call, the workflow log sealed, six audit
// entries in all. Baseline, same run: the same HTTPS request sent straight to the same provider
// (a local HTTPS peer), on a fresh connection as custos makes, with the key in its header.
import http from 'node:http';
import https from 'node:https';
import { createApp } from '../packages/custos/src/app.ts';
import { startProviderPeer } from '../packages/custos/test/support/provider-peer.ts';
import { benchApp } from './bench-app.ts';
import { measure, report } from './measure.ts';

const ACTIONS = Number(process.env.BENCH_ACTIONS ?? 200);
const SECRET = 'bench-secret-0123456789abcdef';
const BODY = JSON.stringify({ service: 'web', replicas: 3, note: 'x'.repeat(512) });

export async function benchActionExecute(): Promise<void> {
  const peer = await startProviderPeer();
  const bench = await benchApp((config, infra) => createApp({
    ...config, vault: { ...config.vault, egressAllow: ['127.0.0.1/32'], egressCaFile: peer.certificate.certFile },
  }, infra));
  const { app, port, key, cookie } = bench;
  const agent = new http.Agent({ keepAlive: true });
  const call = (method: string, path: string, headers: Record<string, string>, body: unknown) => new Promise<Record<string, string>>((resolve, reject) => {
    const text = JSON.stringify(body);
    const req = http.request({ host: '127.0.0.1', port, path, method, agent, headers: { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) } }, (res) => {
      let out = '';
      res.on('data', (chunk) => (out += chunk));
      res.on('end', () => (res.statusCode! < 300 ? resolve(JSON.parse(out)) : reject(new Error(`status ${res.statusCode}: ${out}`))));
    });
    req.on('error', reject);
    req.end(text);
  });
  try {
    const session = { cookie, origin: 'http://localhost' };
    const credential = await call('POST', '/v1/credentials', session, { provider: 'generic', label: 'bench', secret: SECRET, baseUrl: `${peer.origin}/` });
    const operation = { method: 'POST', url: `${peer.origin}/deploy`, body: JSON.parse(BODY) };

    const direct = await measure('the same HTTPS request, straight', ACTIONS, () => new Promise<void>((resolve, reject) => {
      const req = https.request(`${peer.origin}/deploy`, {
        method: 'POST', ca: peer.certificate.cert, agent: false,
        headers: { authorization: `Bearer ${SECRET}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(BODY) },
      }, (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`status ${res.statusCode}`))));
      });
      req.on('error', reject);
      req.end(BODY);
    }));
    const ours = await measure('propose (key) + approve (session) + run', ACTIONS, async () => {
      const action = await call('POST', '/v1/actions', { authorization: `Bearer ${key}` }, { credentialId: credential.id, summary: 'Scale web', operation });
      const done = await call('POST', `/v1/actions/${action.id}/approve`, session, { operationHash: action.operationHash });
      if (done.status !== 'succeeded') throw new Error(`action ${done.status}`);
    });
    report(`actions on ${app.database.engine} (${ACTIONS} actions)`, direct, [ours]);
    process.stdout.write(`actions/s: direct ${Math.round(direct.opsPerSecond)}, custos ${Math.round(ours.opsPerSecond)}, ratio ${(ours.opsPerSecond / direct.opsPerSecond).toFixed(2)}\n`);
  } finally {
    agent.destroy();
    await bench.close();
    await peer.close();
  }
}
