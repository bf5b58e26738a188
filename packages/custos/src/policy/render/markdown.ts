// The policy as Markdown (GET /privacy.md, `custos policy render --format md`).
import type { Block, RenderContext, Section } from './sections.ts';
import { sectionsOf, versionLine } from './sections.ts';

// Markdown has no escape for every context; these are the characters that start or break its syntax.
const escapeMd = (text: string) => text.replace(/([\\`*_{}[\]<>|#])/g, '\\$1');

function block(b: Block): string {
  switch (b.kind) {
    case 'paragraph': return escapeMd(b.text);
    case 'list': return b.items.map((item) => `- ${escapeMd(item)}`).join('\n');
    case 'table': return [b.head, b.head.map(() => '---'), ...b.rows].map((row) => `| ${row.map((cell) => escapeMd(cell).replace(/\n/g, ' ')).join(' | ')} |`).join('\n');
  }
}

export function policyMarkdown(ctx: RenderContext, sections: Section[] = sectionsOf(ctx)): string {
  const title = `# Privacy policy of ${escapeMd(ctx.policy.product.name)}`;
  const meta = versionLine(ctx);
  return [title, meta, ...sections.map((s) => `## ${escapeMd(s.title)}\n\n${s.blocks.map(block).join('\n\n')}`)].join('\n\n') + '\n';
}
