// custos admin grant|revoke EMAIL: makes a person an instance administrator (an operator of this
// custos, for the admin routes), or no longer one. Each change is on the instance audit chain.
import { changeInstanceAdmin } from '../operator.ts';
import { configFromFlags, fail, type CommonFlags } from './config-from-flags.ts';

async function changeAdmin(email: string, flags: CommonFlags, grant: boolean): Promise<void> {
  try {
    const personId = await changeInstanceAdmin(configFromFlags(flags), email, grant);
    process.stdout.write(`${grant ? 'granted' : 'revoked'} instance admin ${grant ? 'to' : 'from'} person ${personId}\n`);
  } catch (err) {
    fail(err);
  }
}

export const adminGrantCommand = (email: string, flags: CommonFlags) => changeAdmin(email, flags, true);
export const adminRevokeCommand = (email: string, flags: CommonFlags) => changeAdmin(email, flags, false);
