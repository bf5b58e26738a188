// The Fastify application: conventions first (errors, headers, TLS, logging, authentication),
// then routes. It receives everything it uses; app.ts is the only place that builds it.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import swagger from '@fastify/swagger';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Config } from '../core/config.ts';
import type { Logger } from '../core/log.ts';
import type { Authenticator } from '../core/principal.ts';
import { registerAuthentication } from './plugins/authentication.ts';
import { registerBodyShape } from './plugins/body-shape.ts';
import { frameworkErrorHandler, registerErrorHandling } from './plugins/errors.ts';
import { registerHttpsOnly } from './plugins/https-only.ts';
import { registerRequestLog, requestIdFrom } from './plugins/request-log.ts';
import { registerSecurityHeaders } from './plugins/security-headers.ts';
import { registerHealthRoutes, type ReadinessChecks } from './routes/health.ts';

export interface HttpServerDeps {
  config: Pick<Config, 'bodyLimitBytes' | 'publicUrl' | 'trustProxy' | 'tls'>;
  log: Logger;
  authenticate: Authenticator;
  readiness: ReadinessChecks;
  /** Registers the API's routes (after the OpenAPI plugin, so that they are documented). */
  routes?: (app: FastifyInstance) => void;
}

/** Builds the server with every plugin and route registered; call ready() or listen() next. */
export async function buildHttpServer(deps: HttpServerDeps): Promise<FastifyInstance> {
  const { config } = deps;
  const httpsOnly = config.publicUrl.protocol === 'https:';
  const app = Fastify({
    loggerInstance: deps.log,
    // Fastify's own request lines carry the URL; ours (request-log.ts) carry the route pattern.
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: (req) => requestIdFrom(req.headers['x-request-id'], randomUUID),
    bodyLimit: config.bodyLimitBytes,
    // A hop count is valid at run time (proxy-addr) though Fastify's types omit it.
    trustProxy: config.trustProxy as boolean | string[],
    // In-flight requests finish on close; idle keep-alive sockets do not hold shutdown up.
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    frameworkErrors: frameworkErrorHandler,
    ...(config.tls
      ? {
          https: {
            cert: fs.readFileSync(config.tls.certFile),
            key: fs.readFileSync(config.tls.keyFile),
            minVersion: 'TLSv1.3' as const,
          },
        }
      : {}),
  }) as unknown as FastifyInstance;

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  registerErrorHandling(app);
  registerRequestLog(app);
  if (httpsOnly) registerHttpsOnly(app, config.publicUrl);
  await registerSecurityHeaders(app, httpsOnly);
  registerAuthentication(app, deps.authenticate, config.publicUrl.origin);
  registerBodyShape(app);

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'custos', version: '0.1.0', description: 'The privacy backend for AI products.' },
    },
    transform: jsonSchemaTransform,
  });
  app.get('/docs', { config: { auth: 'public' }, schema: { hide: true } }, async () => app.swagger());

  registerHealthRoutes(app, deps.readiness);
  deps.routes?.(app);
  return app;
}
