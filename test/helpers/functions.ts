import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { SignJWT } from 'jose';
import type { Context } from 'aws-lambda';
import type { Emulator } from '../../src/emulator/index.ts';

export const jwtSecret = 'test-secret-of-at-least-32-bytes-long!!';
export const issuer = 'https://auth.example.test/';
export const audience = 'perkamo-lambda-tests';

/** The environment of a function against `emulator` (or any Perkamo stand-in with a URL and keys). */
export function functionEnv(emulator: Pick<Emulator, 'url' | 'keys'>, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PERKAMO_BASE_URL: emulator.url,
    PERKAMO_SECRET_KEY: emulator.keys.server[0]!,
    PERKAMO_BROWSER_KEY: emulator.keys.browser[0]!,
    AUTH_JWT_SECRET: jwtSecret,
    AUTH_ISSUER: issuer,
    AUTH_AUDIENCE: audience,
    LOG_LEVEL: 'error',
    // The EMF line of every invocation is tested where it matters (test/e2e/observability.test.ts), not printed by every suite.
    PERKAMO_METRICS: 'false',
    ...extra,
  };
}

export type Handler = (event: unknown, context: Context) => Promise<any>;

let generation = 0;
const managed = new Set<string>();

/**
 * Imports a built bundle (dist/functions/<name>/index.mjs) as Lambda would, with `env` in
 * process.env during its cold start. Each call is a fresh module instance: a new cold start.
 */
export async function loadFunction(name: string, env: Record<string, string>): Promise<Handler> {
  for (const key of managed) delete process.env[key];
  for (const [key, value] of Object.entries(env)) {
    process.env[key] = value;
    managed.add(key);
  }
  const file = fileURLToPath(new URL(`../../dist/functions/${name}/index.mjs`, import.meta.url));
  const mod = await import(/* @vite-ignore */ `${pathToFileURL(file).href}?cold=${++generation}`);
  return mod.handler as Handler;
}

export async function token(
  userId: string,
  scopes: string[] = ['perkamo:emit', 'perkamo:identify', 'perkamo:read'],
  overrides: { expiresIn?: string | number; audience?: string; issuer?: string; notBefore?: number } = {},
): Promise<string> {
  const jwt = new SignJWT({ scope: scopes.join(' ') })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(userId)
    .setIssuer(overrides.issuer ?? issuer)
    .setAudience(overrides.audience ?? audience)
    .setIssuedAt()
    .setJti(randomUUID())
    .setExpirationTime(overrides.expiresIn ?? '5m');
  if (overrides.notBefore !== undefined) jwt.setNotBefore(overrides.notBefore);
  return jwt.sign(new TextEncoder().encode(jwtSecret));
}

export const bearer = async (userId: string, scopes?: string[]) => ({ authorization: `Bearer ${await token(userId, scopes)}` });

/** `events/<file>` as a function gets it: the `Bearer <JWT: npm run token -- <user>>` placeholder replaced by a real token. */
export async function sampleEvent(file: string): Promise<any> {
  const text = readFileSync(new URL(`../../events/${file}`, import.meta.url), 'utf8');
  const match = /<JWT: npm run token -- ([\w-]+)>/.exec(text);
  return JSON.parse(match ? text.replace(match[0], await token(match[1]!)) : text);
}
