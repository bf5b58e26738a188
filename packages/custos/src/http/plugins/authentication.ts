// Authentication runs in onRequest, before the body is parsed or validated: a request without the
// right credentials gets 401/403 whatever it carries.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../core/errors.ts';
import type { Authenticator, Scope } from '../../core/principal.ts';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function requiredScope(method: string): Scope {
  return SAFE_METHODS.has(method) ? 'read' : 'write';
}

export function registerAuthentication(app: FastifyInstance, authenticate: Authenticator, publicOrigin: string): void {
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const access = request.routeOptions.config.auth;
    if (request.is404 || access === 'public') return;
    const principal = await authenticate(request, reply);
    if (!principal) throw new AppError('unauthenticated', 'sign in or send an API key');
    // A cookie rides along on cross-site requests; the Origin header says where they came from.
    if (principal.kind === 'session' && !SAFE_METHODS.has(request.method)) {
      const origin = request.headers.origin;
      if (origin !== publicOrigin) throw new AppError('origin_mismatch', 'this request did not come from the custos origin');
    }
    if (access === 'session' && principal.kind !== 'session') {
      throw new AppError('session_required', 'this route is for a person signed in, not an API key');
    }
    if (access === 'api_key' && principal.kind !== 'api_key') {
      throw new AppError('api_key_required', 'this route is for programs sending an API key');
    }
    if (!principal.termsAccepted && request.routeOptions.config.terms !== 'exempt') {
      throw new AppError('terms_not_accepted', 'accept the current privacy policy first (POST /v1/me/terms)');
    }
    const scope = requiredScope(request.method);
    if (!principal.scopes.has(scope)) throw new AppError('forbidden', `this credential lacks the ${scope} scope`);
    request.principal = principal;
  });
}
