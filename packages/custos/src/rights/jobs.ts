// The rights jobs: ids only in their payloads, as every job's (jobs/contracts.ts).
import { z } from 'zod';
import { defineJob } from '../jobs/contracts.ts';

/** Builds one export. Safe to run twice: the lease in its row lets one worker build it at a time. */
export const RIGHTS_EXPORT = defineJob({ name: 'rights.export', payload: z.object({ exportId: z.uuid() }), retryLimit: 3, retryDelaySeconds: 30, expireInSeconds: 60 * 60 });

/** Runs one erasure whose grace period is over. Resumable: each step is done once and noted. */
export const RIGHTS_ERASE = defineJob({ name: 'rights.erase', payload: z.object({ requestId: z.uuid() }), retryLimit: 5, retryDelaySeconds: 30, expireInSeconds: 60 * 60 });

/**
 * Once a minute, on one server: erasures past their grace period are started, exports whose link
 * expired are deleted, work whose worker died (a lapsed lease) is taken up again, and overdue
 * requests are warned about.
 */
export const RIGHTS_SWEEP = defineJob({ name: 'rights.sweep', payload: z.object({}), schedule: '* * * * *', retryLimit: 1, policy: 'singleton' });

/** How long a worker's claim on an export or erasure lasts without renewal (renewed every third of it). */
export const LEASE_SECONDS = 20;
