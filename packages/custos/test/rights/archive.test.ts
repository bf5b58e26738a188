// The archive fails as a whole when reading rows fails part-way (a database error, a lease lost to
// another worker): its stream errors, so the export's attempt ends and is retried, instead of the
// error escaping as an uncaught exception (the whole server down) or the archive never ending.
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { TABLES } from '../../src/db/registry.ts';
import { buildArchive } from '../../src/rights/archive.ts';
import type { Selection } from '../../src/rights/scope.ts';

// Never read by the archive itself (only handed to `read`), so a bare one does.
const selection = { entry: TABLES.find((entry) => entry.table === 'messages')!, workspaceId: null } as unknown as Selection;

describe('export archive', () => {
  it('P-RIG-2: a read that fails after its first page fails the archive stream with that error, and the process stays up', async () => {
    const uncaught: unknown[] = [];
    const onUncaught = (err: unknown) => uncaught.push(err);
    process.on('uncaughtException', onUncaught);
    try {
      const archive = buildArchive({
        exportId: '00000000-0000-4000-8000-000000000000', personId: '00000000-0000-4000-8000-000000000001', createdAt: new Date(),
        parts: [{ category: 'conversations', selections: [selection, selection] }],
        read: () => (async function* () {
          yield [{ id: 'first page' }];
          throw new Error('the database went away');
        })(),
      });
      let written = 0;
      const sink = new Writable({ write(chunk: Buffer, _encoding, callback) { written += chunk.length; callback(); } });
      const outcome = await Promise.race([
        pipeline(archive, sink).then(() => 'completed', (err: Error) => err.message),
        new Promise<string>((resolve) => setTimeout(() => resolve('still pending after 5 s'), 5000)),
      ]);
      expect(outcome).toBe('the database went away');
      expect(written).toBeGreaterThan(0); // it had started: the failure came part-way
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(uncaught).toEqual([]);
    } finally {
      process.off('uncaughtException', onUncaught);
    }
  });
});
