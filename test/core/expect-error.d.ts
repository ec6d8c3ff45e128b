import { PerkamoValidationError } from '../../src/core/index.ts';
/** Runs `fn` and returns what it threw; fails the test when it returns normally. */
export declare function thrownBy(fn: () => unknown): unknown;
export interface ExpectedValidationError {
    field: string;
    reason: string;
    /** Extra fragments the message must contain (a limit, a type name, a hint). */
    message?: Array<string | RegExp>;
    /** The message names the field in quotes (`'context.items[2].price'`); true unless said otherwise. */
    namesField?: boolean;
}
/** Asserts that `fn` throws a PerkamoValidationError with this field path, reason and message. */
export declare function expectValidationError(fn: () => unknown, expected: ExpectedValidationError): PerkamoValidationError;
