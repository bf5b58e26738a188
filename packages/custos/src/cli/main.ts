#!/usr/bin/env node
// The custos command line. Every command takes --data-dir: the data dir holds the embedded
// database, the key file, the keystore and the mailbox even when DATABASE_URL names a server.
import { Command, InvalidArgumentError } from 'commander';

// Each command's module is loaded when it runs: `custos policy check` need not load the server.
type Action = (...args: never[]) => unknown;
function lazy<M, K extends keyof M>(load: () => Promise<M>, name: K) {
  return async (...args: unknown[]): Promise<void> => {
    await ((await load())[name] as Action)(...(args as never[]));
  };
}
const serve = () => import('./serve.ts');
const migrateCli = () => import('./migrate.ts');
const adminCli = () => import('./admin.ts');
const auditCli = () => import('./audit.ts');
const keysCli = () => import('./keys.ts');
const rightsCli = () => import('./rights.ts');
const policyCli = () => import('./policy.ts');
const verifyCli = () => import('./verify.ts');

export function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidArgumentError('a port is a number from 0 to 65535');
  return port;
}

const DATA_DIR_HELP = 'data directory (default ./.custos, or CUSTOS_DATA_DIR)';
const POLICY_HELP = 'the policy file (default: custos.policy.yaml in the data dir, or CUSTOS_POLICY; else the built-in default)';

const program = new Command()
  .name('custos')
  .description('The privacy backend for AI products.')
  .showHelpAfterError();

program
  .command('serve')
  .description('apply migrations, then serve the API')
  .option('--port <port>', 'port to listen on (default 8787, or CUSTOS_PORT)', parsePort)
  .option('--host <host>', 'address to listen on (default 127.0.0.1, or CUSTOS_HOST)')
  .option('--data-dir <dir>', 'data directory (default ./.custos, or CUSTOS_DATA_DIR)')
  .option('--tls-cert <file>', 'serve HTTPS with this certificate (PEM)')
  .option('--tls-key <file>', 'the private key of --tls-cert (PEM)')
  .option('--policy <file>', POLICY_HELP)
  .action(lazy(serve, 'serveCommand'));

program
  .command('migrate')
  .description('create the runtime login and apply database migrations')
  .option('--data-dir <dir>', 'data directory (default ./.custos, or CUSTOS_DATA_DIR)')
  .action(lazy(migrateCli, 'migrateCommand'));

const keys = program.command('keys').description('master keys: rotate, retire, status');
keys
  .command('rotate')
  .description('add a master key version and re-wrap every secret and data key under it (no data is rewritten)')
  .option('--data-dir <dir>', 'data directory (default ./.custos, or CUSTOS_DATA_DIR)')
  .action(lazy(keysCli, 'keysRotateCommand'));
keys
  .command('retire <version>')
  .description('destroy a master key version that nothing uses any more')
  .option('--data-dir <dir>', 'data directory (default ./.custos, or CUSTOS_DATA_DIR)')
  .action(lazy(keysCli, 'keysRetireCommand'));
keys
  .command('status')
  .description('master key versions and which ones the keystore uses')
  .option('--data-dir <dir>', 'data directory (default ./.custos, or CUSTOS_DATA_DIR)')
  .action(lazy(keysCli, 'keysStatusCommand'));

program
  .command('audit')
  .description('the audit trail')
  .command('verify')
  .description('recompute the hash chains and name the first broken link (exit 1 if any)')
  .option('--workspace <id>', 'only this workspace’s chain')
  .option('--data-dir <dir>', 'data directory (default ./.custos, or CUSTOS_DATA_DIR)')
  .action(lazy(auditCli, 'auditVerifyCommand'));

const admin = program.command('admin').description('instance administrators (operators of this custos)');
admin
  .command('grant <email>')
  .description('make the person with this email address an instance administrator')
  .option('--data-dir <dir>', 'data directory (default ./.custos, or CUSTOS_DATA_DIR)')
  .action(lazy(adminCli, 'adminGrantCommand'));
admin
  .command('revoke <email>')
  .description('make them an instance administrator no more')
  .option('--data-dir <dir>', 'data directory (default ./.custos, or CUSTOS_DATA_DIR)')
  .action(lazy(adminCli, 'adminRevokeCommand'));

program
  .command('export')
  .description('export everything held about a person into a ZIP file (P-RIG-2), with a progress bar')
  .requiredOption('--user <email>', 'the person’s email address')
  .requiredOption('--out <file>', 'where to write the archive')
  .option('--data-dir <dir>', 'data directory (default ./.custos, or CUSTOS_DATA_DIR)')
  .action(lazy(rightsCli, 'exportCommand'));

program
  .command('erase')
  .description('erase a person (P-RIG-3): at once with --now, else after the grace period; sessions, keys and credentials go at once')
  .requiredOption('--user <email>', 'the person’s email address')
  .option('--now', 'skip the grace period and erase now (resumes an erasure a crash interrupted)')
  .option('--data-dir <dir>', 'data directory (default ./.custos, or CUSTOS_DATA_DIR)')
  .action(lazy(rightsCli, 'eraseCommand'));

program
  .command('requests')
  .description('the register of requests about personal data (P-RIG-7); exit 1 with --overdue when any is')
  .option('--overdue', 'only open requests past their due date')
  .option('--json', 'print JSON')
  .option('--data-dir <dir>', 'data directory (default ./.custos, or CUSTOS_DATA_DIR)')
  .action(lazy(rightsCli, 'requestsCommand'));

const policy = program.command('policy').description('the privacy policy: its file, its schema, its rendering, its published versions');
policy.command('schema').description('print the JSON Schema of custos.policy.yaml').action(lazy(policyCli, 'policySchemaCommand'));
policy.command('check').description('read the policy file as `custos serve` would; name every problem with its line').option('--policy <file>', POLICY_HELP).option('--data-dir <dir>', DATA_DIR_HELP).action(lazy(policyCli, 'policyCheckCommand'));
policy.command('init').description('write the built-in default policy into the data dir, to edit').option('--data-dir <dir>', DATA_DIR_HELP).action(lazy(policyCli, 'policyInitCommand'));
policy.command('render').description('print the policy file rendered as the public page (a draft until published)')
  .option('--format <format>', 'html or md', 'html').option('--policy <file>', POLICY_HELP).option('--data-dir <dir>', DATA_DIR_HELP).action(lazy(policyCli, 'policyRenderCommand'));
policy.command('publish').description('publish the policy file as the next version; a material change is mailed to every account and takes effect after the notice period')
  .option('--effective <date>', 'when it takes effect (default: as soon as the notice period allows)').option('--policy <file>', POLICY_HELP).option('--data-dir <dir>', DATA_DIR_HELP).action(lazy(policyCli, 'policyPublishCommand'));

program
  .command('verify')
  .description('check the running system against its policy, claim by claim (exit 1 if any fails)')
  .option('--json', 'print the report as JSON')
  .option('--url <url>', 'make the HTTP checks against this deployment instead of in-process')
  .option('--log <file...>', 'log files to search for the canaries the check plants')
  .option('--policy <file>', POLICY_HELP)
  .option('--data-dir <dir>', DATA_DIR_HELP)
  .action(lazy(verifyCli, 'verifyCommand'));

await program.parseAsync(process.argv);
