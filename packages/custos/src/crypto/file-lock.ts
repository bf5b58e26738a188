// A lock file shared by the processes of one data dir (the server and the CLI) around a
// read-modify-write of the key file or the keystore. The file holds the holder's pid and a random
// token: only its holder removes it, and a waiter takes it over only when the holder's process is
// gone, never because it is slow (a slow holder is still writing).
import crypto from 'node:crypto';
import fs from 'node:fs';
import { AppError } from '../core/errors.ts';
import { isProcessAlive } from '../core/process.ts';

const WAIT_MS = 30_000;


export async function withFileLock<T>(lockFile: string, fn: () => Promise<T>): Promise<T> {
  const mine = `${process.pid}:${crypto.randomBytes(8).toString('hex')}`;
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    try {
      fs.writeFileSync(lockFile, mine, { flag: 'wx', mode: 0o600 });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let held: string;
    try {
      held = fs.readFileSync(lockFile, 'utf8');
    } catch {
      continue; // released between our attempt and our read
    }
    const pid = Number(held.split(':')[0]);
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && !isProcessAlive(pid)) {
      // Its holder died mid-update; remove it only if it is still that holder's lock.
      if (fs.readFileSync(lockFile, 'utf8') === held) fs.rmSync(lockFile, { force: true });
      continue;
    }
    if (Date.now() > deadline) throw new AppError('key_unavailable', `the key files are locked by process ${pid}`);
    await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20));
  }
  try {
    return await fn();
  } finally {
    try {
      if (fs.readFileSync(lockFile, 'utf8') === mine) fs.rmSync(lockFile, { force: true });
    } catch {
      // already gone
    }
  }
}

/** Replaces a file atomically: a reader sees the old or the new contents, never half of either. */
export function writeFileAtomic(file: string, contents: string): void {
  const temp = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
  const fd = fs.openSync(temp, 'w', 0o600);
  try {
    fs.writeFileSync(fd, contents);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(temp, file);
}

/** Creates a file with its full contents at once, unless it exists; true if this call created it. */
export function createFileAtomic(file: string, contents: string): boolean {
  const temp = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
  fs.writeFileSync(temp, contents, { mode: 0o600 });
  try {
    fs.linkSync(temp, file); // fails if the file exists: no reader ever sees a partial file
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    fs.rmSync(temp, { force: true });
  }
}
