// Headers every response carries (P-ENC-2 for HSTS). The API serves JSON only, so the content
// policy can forbid everything; the dashboard will loosen it to 'self' for its own assets.
import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';

const TWO_YEARS_SECONDS = 2 * 365 * 24 * 60 * 60;

export async function registerSecurityHeaders(app: FastifyInstance, httpsOnly: boolean): Promise<void> {
  await app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'none'"],
        frameAncestors: ["'none'"],
      },
    },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    // HSTS only means something over TLS, and must not be sent by a plain-HTTP development server.
    hsts: httpsOnly ? { maxAge: TWO_YEARS_SECONDS, includeSubDomains: true } : false,
    crossOriginResourcePolicy: { policy: 'same-origin' },
    crossOriginOpenerPolicy: { policy: 'same-origin' },
  });
}
