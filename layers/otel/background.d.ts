export interface BackgroundFlush {
    /** The functions' flush hook in this mode: an invocation's spans are complete; returns at once. */
    done(): void;
}
export declare function startBackgroundFlush(flush: (timeoutMs: number) => Promise<void>, timeoutMs: number): BackgroundFlush;
