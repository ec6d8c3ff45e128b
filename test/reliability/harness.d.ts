import { type Emulator } from '../../src/emulator/index.ts';
import { type FunctionFailure } from '../../src/local/chaos/common.ts';
import { functionNames, type FunctionName } from '../../src/lambda/functions.ts';
import { type Handler } from '../helpers/functions.ts';
export { functionNames, type FunctionName };
/** A function's API Gateway route key ("POST /events", "GET /customer"), from the function list. */
export declare const routeOf: (name: FunctionName) => string;
/** Each function's HTTP method and path. */
export declare const methodOf: (name: FunctionName) => string;
export declare const pathOf: Record<FunctionName, string>;
export interface Harness {
    emulator: Emulator;
    fn: Record<FunctionName, Handler>;
    /** Perkamo requests the emulator has received since the last reset. */
    requests(): number;
    /** Failures the functions logged, by record id (SQS messageId, EventBridge event id). */
    failures: Map<string, FunctionFailure>;
    close(): Promise<void>;
}
export declare function startHarness(): Promise<Harness>;
/** Counts cases per target and prints the tally (the suites count their cases in their output). */
export declare class CaseCounter {
    readonly counts: Map<string, number>;
    add(target: string, n?: number): void;
    total(): number;
    print(title: string): void;
}
/** What a refused case must look like. `field`: exact path; `fieldPrefix` + `mentions` for paths that vary. */
export interface Refusal {
    /** HTTP status (default: any 4xx but 429). */
    status?: number;
    code?: string;
    field?: string;
    fieldPrefix?: string;
    /** Words the message must contain. */
    mentions?: string;
}
export declare function httpInvoke(h: Harness, name: FunctionName, raw: string, headers: Record<string, string>, options?: {
    base64?: 'encode' | 'flag-only';
}): Promise<{
    statusCode: number;
    headers: Record<string, string>;
    body: string;
}>;
/** An HTTP answer is a 4xx (not 429) with `{ error: { code, message, field? } }` naming the field. */
export declare function expectHttpRefusal(res: {
    statusCode: number;
    body: string;
}, want: Refusal, what: string): void;
/** An SQS record with this body fails alone, and the function logs a reason naming the field. */
export declare function expectSqsRefusal(h: Harness, name: 'batch' | 'identify', body: string, want: Refusal, what: string): Promise<void>;
/** An EventBridge event with this detail is thrown back (for Lambda's retries) as a PerkamoValidationError naming the field. */
export declare function expectEventBridgeRefusal(h: Harness, name: 'emit' | 'identify', detail: unknown, want: Refusal, what: string): Promise<void>;
