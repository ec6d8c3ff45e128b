/** The environment the chaos runs load the built functions with: the local stack's dev settings. */
import type { Emulator } from '../../src/emulator/index.ts';
import { devFunctionEnv } from '../stack/dev-config.ts';

export function functionEnv(emulator: Emulator, reserveMs: number): Record<string, string> {
  return {
    ...devFunctionEnv(emulator.url),
    // Failures are logged at warn: the runner reads each record's failure reason from them.
    LOG_LEVEL: 'warn',
    PERKAMO_DEADLINE_RESERVE_MS: String(reserveMs),
    PERKAMO_CONCURRENCY: '4',
  };
}
