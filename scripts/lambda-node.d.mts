// Types of lambda-node.mjs for the TypeScript that imports it (dev/harness/node-binaries.ts).
export function lambdaNodePath(major?: 22 | 24, pins?: Readonly<Record<string, string>>): string;
export function lambdaNodeVariable(major: 22 | 24): string;
export function nodeVersion(binary: string): string;
export function runOnLambdaNode(script: string, args: string[], options?: { ownProcessGroup?: boolean }): void;
