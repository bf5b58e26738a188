// The one way custos sends an approved agent action to a provider's API: HTTPS only, to public
// addresses only (or ranges the operator allows), no redirects, no proxies, a hard deadline and a
// cap on the response. The address check lives in the socket's own `lookup` (address-policy.ts) so
// the address checked is the address connected to; IP-literal hosts, which Node never passes to
// `lookup`, are checked before the request starts, and every socket is checked again on connect.
// Errors carry fixed sentences only: a URL's path and query, header values and bodies can all
// hold credentials, and Node's own error messages quote hosts and addresses.
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import type { IncomingMessage } from 'node:http';
import { classify, guardedLookup, parseAllowedRanges, RefusedAddressError } from './address-policy.ts';

export { parseAllowedRanges, refusedReason, type AllowedRanges } from './address-policy.ts';

export interface EgressPolicy {
  /** CIDR ranges (IPv4 or IPv6, e.g. '127.0.0.1/32', '10.0.0.0/8', '::1/128') an operator allows even though they are not public unicast. Empty by default. */
  allowedRanges: readonly string[];
  /** Extra trusted CA certificates (PEM), added to Node's bundled roots (tls.rootCertificates). */
  extraCa?: string;
  /** Deadline for the whole exchange (connect, TLS, request, full response), ms. */
  timeoutMs: number;
  /** Response bodies beyond this are cut (truncated: true); the connection is then closed. */
  maxResponseBytes: number;
}

export interface OutboundRequest {
  method: string;
  url: URL;
  headers: Readonly<Record<string, string>>;
  body?: Buffer;
}

export interface OutboundResponse {
  status: number;
  headers: Record<string, string | string[]>;
  body: Buffer;
  truncated: boolean;
  /** Where it actually connected (the validated address). */
  remoteAddress: string;
  timings: { startedAt: Date; firstByteMs: number | null; totalMs: number };
}

/** invalid_request: a method or header Node refuses to send; aborted: the caller's signal fired. */
export type EgressErrorCode = 'invalid_url' | 'invalid_request' | 'address_refused' | 'timeout' | 'aborted' | 'network' | 'tls';

const MESSAGES: Record<EgressErrorCode, string> = {
  invalid_url: 'the provider URL is not an https URL without credentials',
  invalid_request: 'the outbound request has a method or header that cannot be sent',
  address_refused: 'the provider address is not allowed',
  timeout: 'the provider did not answer in time',
  aborted: 'the outbound request was cancelled',
  network: 'the provider could not be reached',
  tls: 'the provider connection failed TLS verification',
};

export class EgressError extends Error {
  readonly code: EgressErrorCode;
  /** A plain token only: the refusal reason ('loopback') or a Node error code ('ECONNREFUSED'). */
  readonly detail: string | undefined;
  constructor(code: EgressErrorCode, detail?: string) {
    const token = detail !== undefined && /^[A-Za-z0-9_]{1,64}$/.test(detail) ? detail : undefined;
    super(code === 'address_refused' && token ? `${MESSAGES[code]} (${token})` : MESSAGES[code]);
    this.name = 'EgressError';
    this.code = code;
    this.detail = token;
  }
}

// Hop-by-hop and framing headers are Node's to write; from a caller they could smuggle a second
// request (Content-Length vs Transfer-Encoding), switch protocols or stall on 100-continue.
const STRIPPED_HEADERS = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'keep-alive', 'proxy-connection', 'upgrade', 'expect']);

function outboundHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!STRIPPED_HEADERS.has(name.toLowerCase())) kept[name] = value;
  }
  return kept;
}

const TLS_CODE = /^(ERR_TLS_|ERR_SSL_)|CERT|_SIGNATURE$|^UNABLE_TO_|^HOSTNAME_MISMATCH$/;

function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

// Building a context parses every trusted root certificate (about 10 ms): once per set of CAs.
const secureContexts = new Map<string, tls.SecureContext>();

function secureContextFor(extraCa: string | undefined): tls.SecureContext {
  const key = extraCa ?? '';
  let context = secureContexts.get(key);
  if (!context) {
    context = tls.createSecureContext({ ...(extraCa ? { ca: [...tls.rootCertificates, extraCa] } : {}), minVersion: 'TLSv1.2' });
    secureContexts.set(key, context);
  }
  return context;
}

/** Sends one request and reads the whole (capped) response; never follows a redirect. */
export async function sendOutbound(request: OutboundRequest, policy: EgressPolicy, signal?: AbortSignal): Promise<OutboundResponse> {
  const allowed = parseAllowedRanges(policy.allowedRanges);
  const { url } = request;
  if (url.protocol !== 'https:' || url.username !== '' || url.password !== '') throw new EgressError('invalid_url');
  // WHATWG URL has already turned '0x7f.1' or '2130706433' into dotted IPv4 and bracketed IPv6.
  const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const isLiteral = net.isIP(hostname) !== 0;
  if (isLiteral) {
    const reason = classify(hostname, allowed);
    if (reason !== null) throw new EgressError('address_refused', reason);
  }
  if (signal?.aborted) throw new EgressError('aborted');

  const deadline = AbortSignal.timeout(policy.timeoutMs);
  const cancel = signal ? AbortSignal.any([deadline, signal]) : deadline;
  const startedAt = new Date();
  const t0 = performance.now();
  // A fresh agent per call: no pooled socket checked under another policy, and no proxyEnv, so
  // HTTPS_PROXY and friends are never honoured even under NODE_USE_ENV_PROXY. maxSockets stays
  // unset: Node sends 'Connection: keep-alive' whenever it is finite, even with keepAlive off.
  const agent = new https.Agent({ keepAlive: false });

  return new Promise<OutboundResponse>((resolve, reject) => {
    let settled = false;
    let refusedBecause: string | null = null;
    let remoteAddress = '';
    let connected = false;
    let secured = false;
    let firstByteMs: number | null = null;
    let req: ReturnType<typeof https.request> | undefined;

    const finish = (outcome: OutboundResponse | EgressError): void => {
      if (settled) return;
      settled = true;
      cancel.removeEventListener('abort', onAbort);
      req?.destroy();
      agent.destroy();
      if (outcome instanceof EgressError) reject(outcome);
      else resolve(outcome);
    };

    const fail = (err: unknown): void => {
      if (settled) return;
      const code = errorCode(err);
      if (refusedBecause !== null) return finish(new EgressError('address_refused', refusedBecause));
      if (err instanceof RefusedAddressError) return finish(new EgressError('address_refused', err.reason));
      // Anything that breaks after TCP connected and before the handshake finished is TLS's fault
      // (a protocol alert, a server that speaks plain HTTP), whatever code OpenSSL gave it.
      if ((code !== undefined && TLS_CODE.test(code)) || (connected && !secured)) return finish(new EgressError('tls', code));
      finish(new EgressError('network', code));
    };

    function onAbort(): void {
      finish(new EgressError(deadline.aborted ? 'timeout' : 'aborted'));
    }
    cancel.addEventListener('abort', onAbort, { once: true });

    try {
      // secureContext reaches tls.connect though https.RequestOptions does not declare it.
      const options: https.RequestOptions & { secureContext: tls.SecureContext } = {
        method: request.method,
        host: hostname,
        port: url.port === '' ? 443 : Number(url.port),
        path: `${url.pathname}${url.search}`,
        headers: outboundHeaders(request.headers),
        agent,
        lookup: guardedLookup(allowed),
        // SNI may only name a host (RFC 6066); Node warns if given an IP.
        ...(isLiteral ? {} : { servername: hostname }),
        secureContext: secureContextFor(policy.extraCa),
        rejectUnauthorized: true,
      };
      req = https.request(options);
    } catch (err) {
      // Node refuses bad methods and header names or values synchronously (ERR_INVALID_CHAR, ...).
      finish(new EgressError('invalid_request', errorCode(err)));
      return;
    }

    req.on('error', fail);
    req.on('socket', (socket) => {
      // The lookup already checked this address; checking what the socket actually reached guards
      // against any path that skips lookup. Nothing of the request is sent before the handshake.
      socket.once('connect', () => {
        connected = true;
        remoteAddress = socket.remoteAddress ?? '';
        const reason = classify(remoteAddress, allowed);
        if (reason !== null) {
          refusedBecause = reason;
          socket.destroy();
        }
      });
      socket.once('secureConnect', () => {
        secured = true;
      });
    });
    req.on('response', (res: IncomingMessage) => {
      firstByteMs = performance.now() - t0;
      readCapped(res, policy.maxResponseBytes, (body, truncated) => finish({
        status: res.statusCode ?? 0,
        headers: responseHeaders(res),
        body,
        truncated,
        remoteAddress: remoteAddress || (res.socket?.remoteAddress ?? ''),
        timings: { startedAt, firstByteMs, totalMs: performance.now() - t0 },
      }), fail);
    });
    req.end(request.body);
  });
}

function responseHeaders(res: IncomingMessage): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(res.headers)) {
    if (value !== undefined) headers[name] = value;
  }
  return headers;
}

/** Collects at most `max` bytes; past that it keeps the prefix and destroys the stream. */
function readCapped(res: IncomingMessage, max: number, done: (body: Buffer, truncated: boolean) => void, fail: (err: unknown) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let over = false;
  res.on('data', (chunk: Buffer) => {
    if (over) return;
    if (size + chunk.length > max) {
      over = true;
      chunks.push(chunk.subarray(0, max - size));
      size = max;
      done(Buffer.concat(chunks, size), true);
      res.destroy();
      return;
    }
    chunks.push(chunk);
    size += chunk.length;
  });
  res.on('end', () => {
    if (!over) done(Buffer.concat(chunks, size), false);
  });
  // A connection cut mid-body reports 'aborted'/ECONNRESET here, or only closes without 'end'.
  res.on('error', fail);
  res.on('close', () => {
    if (!over && !res.complete) fail(Object.assign(new Error('response closed early'), { code: 'ECONNRESET' }));
  });
}
