// With an https public URL, custos answers over TLS only (P-ENC-2): a plain-HTTP request (direct,
// or forwarded as http by a trusted proxy) is sent to the https URL, or refused if it would carry a
// body. Health probes stay reachable over the internal network.
import type { FastifyInstance } from 'fastify';
import { AppError } from '../../core/errors.ts';

const PROBES = new Set(['/healthz', '/readyz']);

export function registerHttpsOnly(app: FastifyInstance, publicUrl: URL): void {
  app.addHook('onRequest', async (request, reply) => {
    if (request.protocol === 'https' || PROBES.has(request.url.split('?')[0] ?? '')) return;
    // Only an origin-form target ("/path?query") is redirected, and onto the public origin by
    // concatenation: resolving "//evil.example/x" as a URL would leave for another host.
    if ((request.method === 'GET' || request.method === 'HEAD') && request.url.startsWith('/')) {
      return reply.redirect(publicUrl.origin + request.url, 308);
    }
    throw new AppError('https_required', `use ${publicUrl.origin}`);
  });
}
