import type { Warn } from './config.ts';
export interface AfterResponseFlush {
    /** The functions' flush hook in this mode: the invocation's spans are complete; returns at once. */
    done(): void;
}
/**
 * Registers the extension (for INVOKE: internal extensions get no SHUTDOWN event) and starts its
 * loop. Must run before the runtime client's first `invocation/next` (the layer's init awaits it).
 * Undefined when registration fails: the caller falls back to flushing in the invocation.
 */
export declare function startAfterResponseFlush(runtimeApi: string, flush: (timeoutMs: number) => Promise<void>, warn: Warn): Promise<AfterResponseFlush | undefined>;
