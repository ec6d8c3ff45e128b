/** The environment the chaos runs load the built functions with: the local stack's dev settings. */
import type { Emulator } from '../../emulator/index.ts';
import { devAudience, devBrowserKey, devIssuer, devJwtSecret, devSecretKey, sqsRegion } from '../dev-config.ts';

export function functionEnv(emulator: Emulator, reserveMs: number): Record<string, string> {
  return {
    AWS_REGION: sqsRegion,
    PERKAMO_BASE_URL: emulator.url,
    PERKAMO_SECRET_KEY: devSecretKey,
    PERKAMO_BROWSER_KEY: devBrowserKey,
    AUTH_JWT_SECRET: devJwtSecret,
    AUTH_ISSUER: devIssuer,
    AUTH_AUDIENCE: devAudience,
    // Failures are logged at warn: the runner reads each record's failure reason from them.
    LOG_LEVEL: 'warn',
    PERKAMO_DEADLINE_RESERVE_MS: String(reserveMs),
    PERKAMO_CONCURRENCY: '4',
  };
}
