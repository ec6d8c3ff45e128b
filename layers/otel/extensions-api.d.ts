export interface ExtensionEvent {
    eventType?: string;
    /** Epoch milliseconds: the invocation's deadline (INVOKE) or the shutdown's (SHUTDOWN). */
    deadlineMs?: number;
    requestId?: string;
}
interface Answer {
    status: number;
    /** Lower-case names. */
    headers: Map<string, string>;
    body: string;
}
export declare class ExtensionsApi {
    #private;
    constructor(runtimeApi: string);
    /** Registers `name` for `events`; rejects with what the API answered when it refuses. */
    register(name: string, events: readonly string[]): Promise<void>;
    /** The next event (a long poll: it waits while Lambda has none for this extension). */
    next(): Promise<ExtensionEvent>;
}
/**
 * The answer in `raw` once it is complete — its Content-Length read, its last chunk, or (`final`:
 * the connection ended) whatever body came — else undefined. Throws on what is not an HTTP answer.
 */
export declare function complete(raw: Buffer, final: boolean): Answer | undefined;
export {};
