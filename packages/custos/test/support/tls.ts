// A self-signed certificate for localhost, made with the openssl command line for this run only.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface SelfSigned {
  certFile: string;
  keyFile: string;
  cert: string;
  remove(): void;
}

export function selfSignedCertificate(): SelfSigned {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'custos-tls-'));
  const certFile = path.join(dir, 'cert.pem');
  const keyFile = path.join(dir, 'key.pem');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
    '-keyout', keyFile, '-out', certFile,
  ], { stdio: 'pipe' });
  return { certFile, keyFile, cert: fs.readFileSync(certFile, 'utf8'), remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
