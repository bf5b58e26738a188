// The embedded engine's files must be opened by one instance at a time: two PGlite instances on one
// directory (two processes, or `custos migrate` beside a running server) corrupt it.
import fs from 'node:fs';
import path from 'node:path';
import { isProcessAlive } from '../core/process.ts';


export class DataDirLockedError extends Error {
  constructor(dir: string, pid: number) {
    super(`the embedded database in ${dir} is in use by process ${pid}; stop it first`);
    this.name = 'DataDirLockedError';
  }
}

// Directories this process holds. A lock file naming our own pid that is not in this set was left
// by an earlier process that had the same pid (a container's pid 1 after a crash): it is stale.
const heldHere = new Set<string>();

/** Takes the lock or throws; returns the function that releases it. */
export function lockDirectory(dir: string): () => void {
  const lockPath = path.resolve(dir, 'custos.lock');
  if (heldHere.has(lockPath)) throw new DataDirLockedError(dir, process.pid);
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      fs.writeFileSync(lockPath, String(process.pid), { flag: 'wx', mode: 0o600 });
      heldHere.add(lockPath);
      return () => {
        heldHere.delete(lockPath);
        fs.rmSync(lockPath, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number(fs.readFileSync(lockPath, 'utf8'));
      const alive = Number.isInteger(holder) && holder > 0 && holder !== process.pid && isProcessAlive(holder);
      if (alive) throw new DataDirLockedError(dir, holder);
      fs.rmSync(lockPath, { force: true }); // stale: its process is gone
    }
  }
  throw new Error(`could not lock ${dir}`);
}
