// custos policy schema | check | init | render | publish: the policy file, its schema, the page
// rendered from it, and the published versions people are held to (P-COM-2, P-COM-3).
import fs from 'node:fs';
import path from 'node:path';
import { DEFAULT_POLICY_FILE, POLICY_FILE_NAME, loadPolicy, policyHtml, policyJsonSchema, policyMarkdown } from '../policy/index.ts';
import { configFromFlags, fail, type CommonFlags } from './config-from-flags.ts';
import { withApp } from './with-app.ts';

export function policySchemaCommand(): void {
  process.stdout.write(`${JSON.stringify(policyJsonSchema(), null, 2)}\n`);
}

/** Reads the file as `custos serve` would, and says what it found, or every problem with its place. */
export function policyCheckCommand(flags: CommonFlags): void {
  try {
    const loaded = loadPolicy(configFromFlags(flags));
    const { policy } = loaded;
    process.stdout.write(`${loaded.file}${loaded.isDefault ? ' (the built-in default)' : ''}: valid; ${policy.categories.length} categories covering ${loaded.tableCategory.size} tables, ${policy.subprocessors.length} subprocessors, ${policy.cookies.length} cookie(s), ${policy.notice.materialChangeDays} days' notice of material changes\n`);
  } catch (err) {
    fail(err);
  }
}

/** Writes the built-in default into the data dir, to edit. */
export function policyInitCommand(flags: CommonFlags): void {
  try {
    const config = configFromFlags(flags);
    const target = path.join(config.dataDir, POLICY_FILE_NAME);
    fs.mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
    fs.copyFileSync(DEFAULT_POLICY_FILE, target, fs.constants.COPYFILE_EXCL);
    process.stdout.write(`wrote ${target}: edit it, check it with \`custos policy check\`, then publish it with \`custos policy publish\`\n`);
  } catch (err) {
    fail((err as NodeJS.ErrnoException).code === 'EEXIST' ? new Error('the data dir has a policy file already') : err);
  }
}

/** The file rendered as it would be published (a draft), to read before publishing it. */
export function policyRenderCommand(flags: CommonFlags & { format: string }): void {
  try {
    if (flags.format !== 'html' && flags.format !== 'md') throw new Error('--format is html or md');
    const config = configFromFlags(flags);
    const context = { policy: loadPolicy(config).policy, version: null, publicUrl: config.publicUrl };
    process.stdout.write(flags.format === 'html' ? policyHtml(context) : policyMarkdown(context));
  } catch (err) {
    fail(err);
  }
}

export async function policyPublishCommand(flags: CommonFlags & { effective?: string }): Promise<void> {
  await withApp(flags, async (app) => {
    let effective: Date | undefined;
    if (flags.effective !== undefined) {
      effective = new Date(flags.effective);
      if (Number.isNaN(effective.getTime())) throw new Error('--effective takes a date (2027-01-31) or a time (2027-01-31T09:00:00Z)');
    }
    const published = await app.policy.versions.publish(app.policy.loaded.policy, effective);
    if (!published) return void process.stdout.write(`nothing to publish: ${app.policy.loaded.file} is the newest published version\n`);
    process.stdout.write(`published version ${published.n}, in force from ${published.effectiveAt.toISOString()}${published.material ? '; every account is mailed the change' : ' (not a material change: no notice is mailed)'}\n`);
    for (const change of published.changes) process.stdout.write(`  - ${change.text}${change.material ? '' : ' (not material)'}\n`);
  });
}
