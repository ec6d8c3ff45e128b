/**
 * The local stack's fixed development settings, shared by `npm start`, `npm run token`,
 * `npm run enqueue`, the demo page and the tests. None of these is a secret: they only ever
 * protect loopback servers on a developer's machine. Never use them in a deployed stage.
 */
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';

/** Raw HS256 secret (UTF-8, ≥ 32 bytes) the local functions verify JWTs with: AUTH_JWT_SECRET. */
export const devJwtSecret = 'perkamo-local-dev-secret-not-for-production';
/** AUTH_ISSUER of the local functions. */
export const devIssuer = 'https://auth.perkamo.local/';
/** AUTH_AUDIENCE of the local functions. */
export const devAudience = 'perkamo-lambda-local';
/** Scopes of a dev token when none are asked for: everything the functions check. */
export const devDefaultScopes = ['perkamo:emit', 'perkamo:identify', 'perkamo:read'] as const;
/** Lifetime of a dev token. */
export const devTokenTtlSeconds = 3600;

/** The emulator's dev keys (its defaults). */
export const devSecretKey = 'sk_test_emulator';
export const devBrowserKey = 'pk_test_emulator';

export const defaultPorts = { api: 3000, emulator: 4001, sqs: 4566 } as const;
export const defaultHost = '127.0.0.1';

/** What the local SQS emulator (fauxqs) accepts: any credentials, one region and account. */
export const sqsRegion = 'us-east-1';
export const sqsAccountId = '000000000000';
export const sqsCredentials = { accessKeyId: 'local', secretAccessKey: 'local' } as const;

/** Queues: events for the batch function, identify payloads for identify; each with a DLQ. */
export const queues = {
  events: { name: 'perkamo-events', dlq: 'perkamo-events-dlq', function: 'batch' },
  identify: { name: 'perkamo-identify', dlq: 'perkamo-identify-dlq', function: 'identify' },
} as const;
export type QueueKey = keyof typeof queues;

/**
 * The local queues as `npm start` creates them: with `fifo` (`--fifo`) each queue and its DLQ is a
 * FIFO queue, named with `.fifo` as SQS requires and as the deployed FIFO variant names them.
 */
export function localQueues(fifo: boolean): Record<QueueKey, { name: string; dlq: string; function: (typeof queues)[QueueKey]['function'] }> {
  const suffix = fifo ? '.fifo' : '';
  const local = (key: QueueKey) => ({ name: `${queues[key].name}${suffix}`, dlq: `${queues[key].dlq}${suffix}`, function: queues[key].function });
  return { events: local('events'), identify: local('identify') };
}

/** Redrive after this many receives (fauxqs moves the message to the DLQ on the next receive). */
export const devMaxReceiveCount = 3;
/**
 * Dev visibility timeout, seconds. Deployed queues use at least six times the function timeout;
 * locally it is shorter so that a failed record comes back (and a poison message reaches the DLQ,
 * after 3 receives, in about 45 s) while you watch. It stays above the 10 s function timeout, so
 * an invocation never sees its own records come back.
 */
export const devVisibilityTimeoutSeconds = 15;
/** The functions' LOG_LEVEL unless the shell sets one: warnings and errors, one line each in `npm start`'s log. */
export const devLogLevel = 'warn';
/** The Lambda timeout every local invocation counts down from. */
export const devFunctionTimeoutMs = 10_000;

/** What the local stack, the chaos runs and the smoke tests give the built functions: the dev keys and JWT settings. */
export function devFunctionEnv(perkamoBaseUrl: string): Record<string, string> {
  return {
    AWS_REGION: sqsRegion,
    PERKAMO_BASE_URL: perkamoBaseUrl,
    PERKAMO_SECRET_KEY: devSecretKey,
    PERKAMO_BROWSER_KEY: devBrowserKey,
    AUTH_JWT_SECRET: devJwtSecret,
    AUTH_ISSUER: devIssuer,
    AUTH_AUDIENCE: devAudience,
  };
}

/** Mints a dev JWT the local functions accept (HS256 with the dev secret, 1 h). */
export async function mintDevToken(
  userId: string,
  scopes: readonly string[] = devDefaultScopes,
  ttlSeconds: number = devTokenTtlSeconds,
): Promise<string> {
  if (typeof userId !== 'string' || userId.trim() === '') throw new TypeError('a dev token needs a user id');
  return new SignJWT({ scope: scopes.join(' ') })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(userId)
    .setIssuer(devIssuer)
    .setAudience(devAudience)
    .setIssuedAt()
    .setJti(randomUUID())
    .setExpirationTime(`${ttlSeconds}s`)
    .sign(new TextEncoder().encode(devJwtSecret));
}
