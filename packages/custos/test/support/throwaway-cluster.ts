// A private PostgreSQL cluster for machines where no server answers: initdb --no-sync and pg_ctl
// from the installed binaries, on a free port, trust auth, gone when the run ends.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

function findBinDir(): string {
  const base = '/usr/lib/postgresql';
  const versions = fs.existsSync(base) ? fs.readdirSync(base).sort((a, b) => Number(b) - Number(a)) : [];
  for (const version of versions) {
    const bin = path.join(base, version, 'bin');
    if (fs.existsSync(path.join(bin, 'initdb'))) return bin;
  }
  throw new Error('no PostgreSQL server answers and no PostgreSQL binaries are installed (apt-get install postgresql)');
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

export async function startThrowawayCluster(dir: string): Promise<{ url: string; stop: () => Promise<void> }> {
  const bin = findBinDir();
  const port = await freePort();
  const dataDir = path.join(dir, 'data');
  fs.mkdirSync(dir, { recursive: true });
  // initdb refuses to run as root; the postgres OS user runs it where we are root.
  const asPostgres = process.getuid?.() === 0;
  if (asPostgres) execFileSync('chown', ['-R', 'postgres', dir]);
  const run = (cmd: string, args: string[]): void => {
    if (asPostgres) execFileSync('runuser', ['-u', 'postgres', '--', path.join(bin, cmd), ...args], { stdio: 'pipe' });
    else execFileSync(path.join(bin, cmd), args, { stdio: 'pipe' });
  };
  run('initdb', ['--no-sync', '-A', 'trust', '-U', 'postgres', '-D', dataDir]);
  run('pg_ctl', ['-D', dataDir, '-w', '-l', path.join(dir, 'log'), '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, 'start']);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop: async () => run('pg_ctl', ['-D', dataDir, '-m', 'immediate', 'stop']),
  };
}
