#!/usr/bin/env node
// The custos command line. Every command takes --data-dir: the data dir holds the embedded
// database, the key file, the keystore and the mailbox even when DATABASE_URL names a server.
import { Command, InvalidArgumentError } from 'commander';
import { serveCommand } from './serve.ts';
import { migrateCommand } from './migrate.ts';

export function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidArgumentError('a port is a number from 0 to 65535');
  return port;
}

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
  .action(serveCommand);

program
  .command('migrate')
  .description('create the runtime login and apply database migrations')
  .option('--data-dir <dir>', 'data directory (default ./.custos, or CUSTOS_DATA_DIR)')
  .action(migrateCommand);

await program.parseAsync(process.argv);
