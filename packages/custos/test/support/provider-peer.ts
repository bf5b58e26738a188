// A stand-in for a provider's API: a real HTTPS server on loopback with a self-signed certificate
// (the test trusts it through CUSTOS_EGRESS_CA_FILE), recording every request it receives. Each
// test says how it answers.
import fs from 'node:fs';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { selfSignedCertificate, type SelfSigned } from './tls.ts';

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export type PeerHandler = (request: ReceivedRequest, response: ServerResponse) => void;

export interface ProviderPeer {
  /** https://127.0.0.1:<port> */
  origin: string;
  port: number;
  certificate: SelfSigned;
  received: ReceivedRequest[];
  /** How the next requests are answered (default: 200 with a small JSON body). */
  answer(handler: PeerHandler): void;
  close(): Promise<void>;
}

export const answerOk: PeerHandler = (_request, response) => {
  response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true }));
};

export async function startProviderPeer(certificate: SelfSigned = selfSignedCertificate()): Promise<ProviderPeer> {
  const received: ReceivedRequest[] = [];
  let handler: PeerHandler = answerOk;
  const server = https.createServer({ cert: certificate.cert, key: fs.readFileSync(certificate.keyFile) }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      received.push(request);
      handler(request, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    origin: `https://127.0.0.1:${port}`,
    port,
    certificate,
    received,
    answer: (next) => {
      handler = next;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      certificate.remove();
    },
  };
}
