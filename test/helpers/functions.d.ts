import type { Context } from 'aws-lambda';
import type { Emulator } from '../../src/emulator/index.ts';
export declare const jwtSecret = "test-secret-of-at-least-32-bytes-long!!";
export declare const issuer = "https://auth.example.test/";
export declare const audience = "perkamo-lambda-tests";
/** The environment of a function against `emulator` (or any Perkamo stand-in with a URL and keys). */
export declare function functionEnv(emulator: Pick<Emulator, 'url' | 'keys'>, extra?: Record<string, string>): Record<string, string>;
export type Handler = (event: unknown, context: Context) => Promise<any>;
/**
 * Imports a built bundle (dist/functions/<name>/index.mjs) as Lambda would, with `env` in
 * process.env during its cold start. Each call is a fresh module instance: a new cold start.
 */
export declare function loadFunction(name: string, env: Record<string, string>): Promise<Handler>;
export declare function token(userId: string, scopes?: string[], overrides?: {
    expiresIn?: string | number;
    audience?: string;
    issuer?: string;
    notBefore?: number;
}): Promise<string>;
export declare const bearer: (userId: string, scopes?: string[]) => Promise<{
    authorization: string;
}>;
