// npm run bench: every benchmark, each printing its figures and ratios to its own baseline.
import { benchHttpRequest } from './http-request.ts';
import { benchTenantTransaction } from './tenant-transaction.ts';

await benchTenantTransaction();
await benchHttpRequest();
