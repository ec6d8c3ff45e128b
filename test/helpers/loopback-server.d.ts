import { type IncomingMessage, type ServerResponse } from 'node:http';
export interface RecordedRequest {
    method: string;
    url: string;
    headers: IncomingMessage['headers'];
    /** The raw bytes received, before any parsing. */
    body: Buffer;
    json(): any;
}
export type Handler = (req: RecordedRequest, res: ServerResponse) => void | Promise<void>;
/**
 * A real HTTP server on 127.0.0.1 that records every request and answers with the next queued
 * handler (or the default one). Tests assert on what actually crossed the socket.
 */
export declare function startLoopbackServer(defaultHandler?: Handler): Promise<{
    url: string;
    requests: RecordedRequest[];
    /** Forget recorded requests and queued handlers between tests. */
    reset(): void;
    /** Answer the next requests with these handlers, in order. */
    enqueue(...handlers: Handler[]): void;
    close: () => Promise<void>;
}>;
export declare function json(res: ServerResponse, status: number, body: unknown, headers?: Record<string, string>): void;
export declare const ingestResult: (overrides?: Record<string, unknown>) => {
    applied: boolean;
    duplicate: boolean;
    delta: {
        wallet: string;
        amount: number;
    }[];
    leveled_up: boolean;
    unlocked: never[];
    wallet_state: {
        points: number;
    };
    level: {
        wallet: string;
        level: number;
        current: number;
        nextLevelAt: number;
        currentLevelAt: number;
        progress: number;
    };
};
