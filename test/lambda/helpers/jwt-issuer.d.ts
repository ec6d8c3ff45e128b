import { type CryptoKey, type JWK, type JWTPayload } from 'jose';
export declare const ISSUER = "https://issuer.test/";
export declare const AUDIENCE = "perkamo-lambda-test";
export declare const HS_SECRET: NodeJS.NonSharedUint8Array;
export interface SigningKey {
    kid: string | undefined;
    privateKey: CryptoKey;
    publicJwk: JWK;
}
export declare function rsaKey(kid: string | undefined): Promise<SigningKey>;
/**
 * A token issuer: RSA keys whose public halves are served as a JWKS by a real HTTP server on
 * 127.0.0.1. `GET /jwks` serves `keys` (mutable: push a key to rotate); `GET /jwks-without-kid`
 * serves `kidless`. Each fetch is recorded in `server.requests`.
 */
export declare function startIssuer(): Promise<{
    keys: SigningKey[];
    kidless: SigningKey[];
    server: {
        url: string;
        requests: import("../../helpers/loopback-server.ts").RecordedRequest[];
        reset(): void;
        enqueue(...handlers: import("../../helpers/loopback-server.ts").Handler[]): void;
        close: () => Promise<void>;
    };
    jwksUrl: string;
    kidlessJwksUrl: string;
    /** JWKS fetches seen for `path` since the last `server.reset()`. */
    fetches: (path?: string) => number;
    close: () => Promise<void>;
}>;
export type Claims = JWTPayload & Record<string, unknown>;
/** Standard valid claims (iss, aud, sub, scope, iat, exp in 5 min), overridable; `undefined` drops a claim. */
export declare function claims(overrides?: Record<string, unknown>, nowSeconds?: number): Claims;
export declare function signRs256(key: SigningKey, payload: Claims, header?: Record<string, unknown>): Promise<string>;
export declare function signHs256(secret: Uint8Array, payload: Claims): Promise<string>;
export declare const b64url: (value: string | Uint8Array) => string;
/** A compact JWS assembled by hand, for tokens no honest library would produce. */
export declare function handmadeToken(header: Record<string, unknown>, payload: Record<string, unknown>, signature?: string): string;
