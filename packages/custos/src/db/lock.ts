// The embedded engine's files must be opened by one instance at a time: two PGlite instances on one
// directory (two processes, or `custos migrate` beside a running server) corrupt it.
import fs from 'node:fs';
import path from 'node:path';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class DataDirLockedError extends Error {
  constructor(dir: string, pid: number) {
    super(`the embedded database in ${dir} is in use by process ${pid}; stop it first`);
    this.name = 'DataDirLockedError';
  }
}

/** Takes the lock or throws; returns the function that releases it. */
export function lockDirectory(dir: string): () => void {
  const lockPath = path.join(dir, 'custos.lock');
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      fs.writeFileSync(lockPath, String(process.pid), { flag: 'wx', mode: 0o600 });
      return () => fs.rmSync(lockPath, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number(fs.readFileSync(lockPath, 'utf8'));
      if (Number.isInteger(holder) && holder > 0 && isAlive(holder)) throw new DataDirLockedError(dir, holder);
      fs.rmSync(lockPath, { force: true }); // stale: its process is gone
    }
  }
  throw new Error(`could not lock ${dir}`);
}
