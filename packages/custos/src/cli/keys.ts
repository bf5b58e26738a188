// custos keys: master key rotation and retirement (P-ENC-4).
import { masterKeyStatus, retireMasterKey, rotateMasterKey } from '../operator.ts';
import { configFromFlags, fail, type CommonFlags } from './config-from-flags.ts';

export async function keysRotateCommand(flags: CommonFlags): Promise<void> {
  try {
    const rotated = await rotateMasterKey(configFromFlags(flags));
    process.stdout.write(`master key version ${rotated.version} is current; ${rotated.secrets} keystore secrets re-wrapped\n`);
    process.stdout.write(rotated.dataKeys === null
      // The embedded engine is held by the running server: its periodic job re-wraps the data keys.
      ? 'the running server re-wraps the data keys within a minute (job keys.rewrap)\n'
      : `${rotated.dataKeys} data keys re-wrapped; no sealed value changed\n`);
  } catch (err) {
    fail(err);
  }
}

export async function keysRetireCommand(version: string, flags: CommonFlags): Promise<void> {
  try {
    if (!/^[1-9]\d*$/.test(version)) throw new Error('a master key version is a positive whole number');
    await retireMasterKey(configFromFlags(flags), Number(version));
    process.stdout.write(`master key version ${version} destroyed\n`);
  } catch (err) {
    fail(err);
  }
}

export async function keysStatusCommand(flags: CommonFlags): Promise<void> {
  try {
    const { versions, current, inUse } = await masterKeyStatus(configFromFlags(flags));
    process.stdout.write(`master key versions: ${versions.join(', ')} (current ${current}); keystore uses: ${inUse.join(', ') || 'none'}\n`);
  } catch (err) {
    fail(err);
  }
}
