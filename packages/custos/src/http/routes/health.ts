import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../core/errors.ts';

/** A check passes (perhaps with a warning an operator should act on) or fails with its problem. */
export type CheckResult = { ok: true; warning?: string } | { ok: false; problem: string };
export type ReadinessChecks = () => Promise<Record<string, CheckResult>>;

const healthSchema = z.object({ status: z.literal('ok') });
const readySchema = z.object({ status: z.literal('ready'), checks: z.record(z.string(), z.literal('ok')), warnings: z.record(z.string(), z.string()).optional() });

export function registerHealthRoutes(app: FastifyInstance, readiness: ReadinessChecks): void {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  routes.get('/healthz', {
    config: { auth: 'public' },
    schema: { summary: 'The process is up', tags: ['health'], response: { 200: healthSchema } },
  }, async () => ({ status: 'ok' as const }));

  routes.get('/readyz', {
    config: { auth: 'public' },
    schema: {
      summary: 'The database is reachable, migrations are current and keys open',
      tags: ['health'],
      response: { 200: readySchema },
    },
  }, async () => {
    const results = await readiness();
    const failing = Object.entries(results).filter(([, result]) => !result.ok);
    const warned = Object.entries(results).flatMap(([name, result]) => (result.ok && result.warning ? [[name, result.warning] as const] : []));
    const warnings = warned.length > 0 ? { warnings: Object.fromEntries(warned) } : {};
    if (failing.length > 0) {
      const details = Object.fromEntries(failing.map(([name, result]) => [name, result.ok ? 'ok' : result.problem]));
      throw new AppError('not_ready', 'custos is not ready', { ...details, ...warnings });
    }
    return { status: 'ready' as const, checks: Object.fromEntries(Object.keys(results).map((name) => [name, 'ok' as const])), ...warnings };
  });
}
