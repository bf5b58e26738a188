import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataDirLockedError, lockDirectory } from '../../src/db/lock.ts';

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'custos-lock-'));
}

describe('data dir lock', () => {
  it('admits one holder at a time, in this process too, and frees on release', () => {
    const dir = tempDir();
    const release = lockDirectory(dir);
    expect(() => lockDirectory(dir)).toThrow(DataDirLockedError);
    release();
    lockDirectory(dir)();
    fs.rmSync(dir, { recursive: true });
  });

  it('takes over a lock left by a process that is gone, or by an earlier process with our pid', () => {
    const dir = tempDir();
    for (const stalePid of [2 ** 22 + 12345, process.pid]) {
      fs.writeFileSync(path.join(dir, 'custos.lock'), String(stalePid));
      const release = lockDirectory(dir);
      expect(fs.readFileSync(path.join(dir, 'custos.lock'), 'utf8')).toBe(String(process.pid));
      release();
    }
    fs.rmSync(dir, { recursive: true });
  });

  it('refuses a lock held by another live process', () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'custos.lock'), String(process.ppid));
    expect(() => lockDirectory(dir)).toThrow(/in use by process/);
    fs.rmSync(dir, { recursive: true });
  });
});
