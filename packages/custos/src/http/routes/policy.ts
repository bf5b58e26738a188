// The public policy pages (P-COM-3, P-COM-5, P-PAP-1..4, P-COO-2, P-COO-4): the privacy policy in
// force as HTML and Markdown, its subprocessors, every published version, and what `custos verify`
// last found. Open to everyone, they set no cookie, run no script and load nothing from anyone.
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { PAGE_CSP, policyHtml, policyMarkdown, subprocessorsHtml, verificationHtml, versionsHtml, type PolicyService } from '../../policy/index.ts';

const html = (reply: FastifyReply, body: string) => reply.header('content-security-policy', PAGE_CSP).type('text/html; charset=utf-8').send(body);

export function registerPolicyRoutes(app: FastifyInstance, policy: PolicyService): void {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  const config = { auth: 'public' as const, terms: 'exempt' as const };
  const tags = ['policy'];

  routes.get('/privacy', { config, schema: { tags, summary: 'The privacy policy in force (HTML)' } }, async (_request, reply) =>
    html(reply, policyHtml(await policy.renderContext(), await policy.lastVerification())));

  routes.get('/privacy.md', { config, schema: { tags, summary: 'The privacy policy in force (Markdown)' } }, async (_request, reply) =>
    reply.type('text/markdown; charset=utf-8').send(policyMarkdown(await policy.renderContext())));

  routes.get('/subprocessors', { config, schema: { tags, summary: 'Who processes data for the operator, and the announced changes' } }, async (_request, reply) => {
    const context = await policy.renderContext();
    const inForce = policy.versions.inForce();
    const upcoming = (await policy.versions.list()).filter((v) => v.n > inForce)
      .map((v) => ({ effectiveAt: v.effectiveAt, changes: v.changes.filter((c) => c.section === 'subprocessors').map((c) => c.text) }))
      .filter((v) => v.changes.length > 0).reverse();
    return html(reply, subprocessorsHtml(context.policy.product.name, context.policy.subprocessors, upcoming));
  });

  routes.get('/privacy/versions', { config, schema: { tags, summary: 'Every published version of the privacy policy, with what changed' } }, async (_request, reply) => {
    const context = await policy.renderContext();
    return html(reply, versionsHtml(context.policy.product.name, await policy.versions.list(), policy.versions.inForce()));
  });

  routes.get('/privacy/versions/:n', {
    config, schema: { tags, summary: 'One published version of the privacy policy (HTML)', params: z.object({ n: z.coerce.number().int().min(1).max(1_000_000) }) },
  }, async (request, reply) => html(reply, policyHtml(await policy.renderContext(request.params.n))));

  routes.get('/privacy/verification', { config, schema: { tags, summary: 'What custos verify last found on this deployment' } }, async (_request, reply) => {
    const context = await policy.renderContext();
    return html(reply, verificationHtml(context.policy.product.name, await policy.lastVerification()));
  });
}
