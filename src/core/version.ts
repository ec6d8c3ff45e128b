/** The package's version: kept equal to package.json's by test/sdk/package.test.ts. Sent in `user-agent`, named by the tracer. */
export const packageVersion = '0.1.0';
