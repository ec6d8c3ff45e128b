import { type LambdaEnvironment, type LambdaNodeMajor, type StartFunctionOptions } from '../../src/local/harness/index.ts';
export declare const fixtures: string;
export declare const fixture: (...path: string[]) => string;
export declare const sleep: (ms: number) => Promise<void>;
/** Is a process (group leader) still there? */
export declare function alive(pid: number): boolean;
/** Why Node `major` cannot be tested here, or undefined when it can; in CI a missing binary is a failure. */
export declare function nodeOrSkipReason(major: LambdaNodeMajor): Promise<string | undefined>;
/**
 * Inside a `describe` for one Node major: resolves its binary once, hands out environments (shut
 * down after each test) and a marker folder per test, and defines tests that skip — or fail in CI —
 * when the binary is missing.
 */
export declare function lambdaNodeSuite(major: LambdaNodeMajor): {
    /** A test that needs the binary. */
    test(name: string, body: (node: string) => Promise<void>, timeout?: number): void;
    /** Starts an environment on this Node; it is shut down after the test. */
    start(options: Omit<StartFunctionOptions, "node">): Promise<LambdaEnvironment>;
    /** A fresh empty folder (for files the fixtures write), removed after the suite. */
    folder(): string;
};
