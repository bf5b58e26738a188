// The vault's jobs: ids only in their payloads, as every job's (jobs/contracts.ts).
import { z } from 'zod';
import { defineJob } from '../jobs/contracts.ts';

const actionRef = z.object({ tenantId: z.uuid(), actionId: z.uuid() });

/** Sent with each proposal, due when it expires: marks it expired if nobody decided. */
export const ACTION_EXPIRE = defineJob({ name: 'actions.expire', payload: actionRef, retryLimit: 5 });

/**
 * Sent with each approval, due once the call must have ended (the call's deadline and a margin):
 * an action still approved is run (its server died before starting it); one still executing is
 * declared failed, `interrupted` (its server died during the call). Never a second call.
 */
export const ACTION_RECOVER = defineJob({
  name: 'actions.recover', payload: actionRef,
  // Its last retry is the last chance to end the action (no sweep can find actions across
  // tenants): retries every 5 minutes at most, for hours, so that an outage of the keystore or
  // the database does not leave an action executing for good.
  retryLimit: 40, retryDelaySeconds: 5, retryDelayMaxSeconds: 300,
});

/**
 * Sent with each credential deletion, in its transaction: shreds the credential's own secret. The
 * deletion shreds it at once too; this job is what makes it happen when that failed (the key file
 * could not be written) or the server died between the commit and the shredding. Idempotent.
 */
export const CREDENTIAL_SHRED = defineJob({ name: 'credentials.shred', payload: z.object({ credentialId: z.uuid() }), retryLimit: 10, retryDelaySeconds: 5 });
