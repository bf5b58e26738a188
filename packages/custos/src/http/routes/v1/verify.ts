// GET /v1/admin/verify: `custos verify` run by the server on itself, for an instance administrator
// (the same report as the CLI's, recorded the same way).
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../../core/errors.ts';
import { principalOf } from '../../auth.ts';

const rowSchema = z.object({
  id: z.string(), claim: z.string(), promises: z.array(z.string()), check: z.string(),
  result: z.enum(['pass', 'fail', 'warn', 'declared']), evidence: z.string(), durationMs: z.number(),
});
const reportSchema = z.object({ ranAt: z.date(), ok: z.boolean(), rows: z.array(rowSchema) });

export interface VerifyRouteDeps {
  isInstanceAdmin(personId: string): Promise<boolean>;
  verify(): Promise<z.infer<typeof reportSchema>>;
}

export function registerVerifyRoute(app: FastifyInstance, deps: VerifyRouteDeps): void {
  app.withTypeProvider<ZodTypeProvider>().get('/v1/admin/verify', {
    config: { auth: 'session' },
    schema: { tags: ['policy'], summary: 'Checks the running system against its policy, claim by claim (instance administrators)', response: { 200: reportSchema } },
  }, async (request) => {
    if (!(await deps.isInstanceAdmin(principalOf(request).personId))) throw new AppError('forbidden', 'instance administrators only');
    return deps.verify();
  });
}
