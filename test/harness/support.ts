// Shared by the harness self-tests: the Node binaries under test (a missing one fails in CI, is
// skipped with its reason locally), the fixtures, and environments that are always shut down.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, it, type TestContext } from 'vitest';
import {
  lambdaNode,
  missingLambdaNode,
  startFunction,
  type LambdaEnvironment,
  type LambdaNodeMajor,
  type StartFunctionOptions,
} from '../../dev/harness/index.ts';

export const fixtures = fileURLToPath(new URL('../fixtures/harness/', import.meta.url));
export const fixture = (...path: string[]) => join(fixtures, ...path);
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Is a process (group leader) still there? */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Why Node `major` cannot be tested here, or undefined when it can; in CI a missing binary is a failure. */
export async function nodeOrSkipReason(major: LambdaNodeMajor): Promise<string | undefined> {
  try {
    await lambdaNode(major);
    return undefined;
  } catch (error) {
    const reason = missingLambdaNode(major, error);
    if (process.env.CI) throw new Error(reason);
    return reason;
  }
}

/**
 * Inside a `describe` for one Node major: resolves its binary once, hands out environments (shut
 * down after each test) and a marker folder per test, and defines tests that skip — or fail in CI —
 * when the binary is missing.
 */
export function lambdaNodeSuite(major: LambdaNodeMajor) {
  let node: string | undefined;
  let problem: string | undefined;
  const environments: LambdaEnvironment[] = [];
  const folders: string[] = [];

  beforeAll(async () => {
    problem = await nodeOrSkipReason(major);
    if (problem) console.warn(`[harness, Node ${major}] skipped: ${problem}`);
    else node = await lambdaNode(major);
  }, 200_000);
  afterEach(async () => {
    await Promise.all(environments.splice(0).map((environment) => environment.shutdown()));
  });
  afterAll(() => {
    for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
  });

  return {
    /** A test that needs the binary. */
    test(name: string, body: (node: string) => Promise<void>, timeout?: number) {
      it(
        name,
        async (ctx: TestContext) => {
          if (!node) {
            if (process.env.CI) throw new Error(problem);
            return ctx.skip(problem);
          }
          await body(node);
        },
        timeout,
      );
    },
    /** Starts an environment on this Node; it is shut down after the test. */
    async start(options: Omit<StartFunctionOptions, 'node'>): Promise<LambdaEnvironment> {
      const environment = await startFunction({ node: node!, ...options });
      environments.push(environment);
      return environment;
    },
    /** A fresh empty folder (for files the fixtures write), removed after the suite. */
    folder(): string {
      const folder = mkdtempSync(join(tmpdir(), 'perkamo-harness-'));
      folders.push(folder);
      return folder;
    },
  };
}
