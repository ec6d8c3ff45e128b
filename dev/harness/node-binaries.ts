/**
 * The Node binaries of Lambda's `nodejs22.x` and `nodejs24.x` runtimes, from the npm `node` package
 * (pinned, so the npx cache serves every run after the first). Resolved once per process.
 */
import { lambdaNodePath, lambdaNodeVariable, nodeVersion } from '../../scripts/lambda-node.mjs';
import pinned from './lambda-node-packages.json' with { type: 'json' };

/** The version (`22.23.3`) of a Node binary, asked once per path. */
export { nodeVersion };

export type LambdaNodeMajor = 22 | 24;

export const lambdaNodeMajors: readonly LambdaNodeMajor[] = [22, 24];

/** The npm packages that carry the binaries (the pins are read by scripts/lambda-node.mjs too). */
export const lambdaNodePackages: Readonly<Record<LambdaNodeMajor, string>> = pinned;

const found = new Map<LambdaNodeMajor, Promise<string>>();

/**
 * The path of a Node `major` binary, as scripts/lambda-node.mjs finds it ($PERKAMO_NODE22 /
 * $PERKAMO_NODE24, this process's Node if it is that major, else the pinned package through npx).
 * The answer (or the failure) is cached for the process.
 */
export function lambdaNode(major: LambdaNodeMajor): Promise<string> {
  let binary = found.get(major);
  if (!binary) {
    // Synchronous (execFileSync under lambdaNodePath): a first fetch holds the event loop, once per process.
    binary = Promise.resolve().then(() => lambdaNodePath(major, lambdaNodePackages));
    // The failure is cached too (callers see it); keep it from counting as unhandled meanwhile.
    binary.catch(() => {});
    found.set(major, binary);
  }
  return binary;
}

/** Why Node `major` cannot be had, naming the package and the variable that would supply it. */
export function missingLambdaNode(major: LambdaNodeMajor, error: unknown): string {
  return `no Node ${major} binary (npx -p ${lambdaNodePackages[major]}, or set ${lambdaNodeVariable(major)}): ${(error as Error).message}`;
}
