import { type Emulator, type EmulatorOptions } from '../../src/emulator/index.ts';
export declare const serverKey = "sk_test_emulator";
export declare const browserKey = "pk_test_emulator";
export interface RawResponse {
    status: number;
    headers: Headers;
    body: any;
    text: string;
}
export interface RawRequest {
    method?: string;
    /** A value to JSON-encode, or the exact body text/bytes. */
    body?: unknown;
    raw?: string | Uint8Array;
    key?: string | null;
    /** false: no signature headers; or explicit header values. */
    sign?: false | {
        timestamp?: number | string;
        signature?: string;
        key?: string;
    };
    headers?: Record<string, string>;
}
/** A plain fetch with the emulator's auth: the key on every call, a signature on every POST. */
export declare function call(emu: Emulator | string, path: string, request?: RawRequest): Promise<RawResponse>;
export declare const requestIdPattern: RegExp;
/** Starts an emulator for the current test file; close it in afterAll/afterEach. */
export declare function start(options?: EmulatorOptions): Promise<Emulator>;
export declare function waitFor<T>(read: () => T | undefined, ms?: number, what?: string): Promise<T>;
export declare function event(userId: string, name: string, txId: string, context?: Record<string, unknown>): {
    user_id: string;
    event: string;
    transaction_id: string;
    context: Record<string, unknown>;
};
