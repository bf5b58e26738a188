// npm run bench: every benchmark, each printing its figures and ratios to its own baseline.
// npm run bench -- ingest crypto: only those.
import { benchActionExecute } from './action-execute.ts';
import { benchAuth } from './auth.ts';
import { benchCrypto } from './crypto.ts';
import { benchExport } from './export.ts';
import { benchHttpRequest } from './http-request.ts';
import { benchIngest } from './ingest.ts';
import { benchIngestMessages } from './ingest-messages.ts';
import { benchIngestOtlp } from './ingest-otlp.ts';
import { benchTenantTransaction } from './tenant-transaction.ts';
import { benchVerify } from './verify.ts';

const all: Record<string, () => Promise<void>> = {
  'tenant-transaction': benchTenantTransaction,
  'http-request': benchHttpRequest,
  ingest: benchIngest,
  crypto: benchCrypto,
  auth: benchAuth,
  'ingest-otlp': benchIngestOtlp,
  'ingest-messages': benchIngestMessages,
  'action-execute': benchActionExecute,
  export: benchExport,
  verify: benchVerify,
};
const chosen = process.argv.slice(2);
for (const [name, bench] of Object.entries(all)) {
  if (chosen.length === 0 || chosen.includes(name)) await bench();
}
