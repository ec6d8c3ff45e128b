// Smoke test of the built bundles on both Lambda runtimes' Node: 24, the suites' own (npm test runs
// vitest on it, scripts/lambda-node.mjs), and 22, from the npm `node@22` package: each dist/functions/<name>/index.mjs is imported in a fresh process
// and its handler invoked once against an emulator.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../src/emulator/index.ts';
import { devFunctionEnv, mintDevToken } from '../../dev/stack/dev-config.ts';
import { lambdaNode, missingLambdaNode } from '../../dev/harness/node-binaries.ts';
import { functionNames, projectRoot, type FunctionName } from '../../dev/stack/lambda.ts';

const run = promisify(execFile);
const root = projectRoot();

// Runs in the child: import the bundle as Lambda would, invoke once with a context that counts down.
const child = `
const [file, eventJson] = process.argv.slice(1);
const { handler } = await import(file);
const end = Date.now() + 10000;
const context = {
  functionName: 'smoke', functionVersion: '$LATEST', awsRequestId: crypto.randomUUID(), memoryLimitInMB: '1024',
  invokedFunctionArn: 'arn:aws:lambda:eu-central-1:123456789012:function:smoke', logGroupName: '/aws/lambda/smoke', logStreamName: 's',
  callbackWaitsForEmptyEventLoop: false, getRemainingTimeInMillis: () => Math.max(0, end - Date.now()), done() {}, fail() {}, succeed() {},
};
const result = await handler(JSON.parse(eventJson), context);
process.stdout.write(JSON.stringify({ node: process.version, result }) + '\\n');
`;

function httpEvent(path: string, token: string, body: unknown) {
  return {
    version: '2.0',
    routeKey: `POST ${path}`,
    rawPath: path,
    rawQueryString: '',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    requestContext: {
      accountId: '123456789012', apiId: 'smoke', domainName: 'smoke.example', domainPrefix: 'smoke', requestId: 'r', routeKey: `POST ${path}`,
      stage: '$default', time: '25/Nov/2026:12:00:00 +0000', timeEpoch: Date.now(),
      http: { method: 'POST', path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'smoke' },
    },
    body: JSON.stringify(body),
    isBase64Encoded: false,
  };
}

let emulator: Emulator;
let node22: string | undefined;
let node22Problem: string | undefined;

beforeAll(async () => {
  emulator = await startEmulator({ quiet: true });
  try {
    // $PERKAMO_NODE22, this Node if it is 22, else `npx -p node@22…` (pinned): checked to be Node 22.
    node22 = await lambdaNode(22);
  } catch (error) {
    node22 = undefined;
    node22Problem = missingLambdaNode(22, error);
    if (process.env.CI) throw new Error(node22Problem);
    console.warn(`[node 22 smoke test] skipped: ${node22Problem}`);
  }
}, 200_000);
afterAll(() => emulator?.close());

async function smoke(nodeBinary: string, label: string, name: FunctionName) {
  const tx = `smoke-${label}-${name}`;
  const user = `smoke-${label}`;
  const events: Record<FunctionName, () => Promise<unknown>> = {
    emit: async () => ({ user_id: user, event: 'purchase.completed', context: { amount: 5000 }, transaction_id: tx }),
    batch: async () => ({ events: [{ user_id: user, event: 'lesson.finished', transaction_id: `${tx}-1` }, { user_id: user, event: 'page.viewed', transaction_id: `${tx}-2` }] }),
    identify: async () => ({ user_id: user, traits: { runtime: label } }),
    // stream-token takes HTTP only.
    'stream-token': async () => httpEvent('/stream-token', await mintDevToken(user), {}),
    // Run last: emit has created the customer.
    customer: async () => ({ user_id: user }),
    program: async () => ({}),
  };
  const file = pathToFileURL(join(root, 'dist/functions', name, 'index.mjs')).href;
  const { stdout } = await run(nodeBinary, ['--input-type=module', '-e', child, file, JSON.stringify(await events[name]())], {
    cwd: root,
    timeout: 20_000,
    env: {
      PATH: process.env.PATH,
      ...devFunctionEnv(emulator.url),
      LOG_LEVEL: 'error',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
  });
  const { node, result } = JSON.parse(stdout.trim().split('\n').pop()!) as { node: string; result: any };
  switch (name) {
    case 'emit':
      expect(result).toMatchObject({ applied: true, delta: [{ wallet: 'points', amount: 50 }] });
      break;
    case 'batch':
      expect(result.results).toHaveLength(2);
      break;
    case 'identify':
      expect(result).toMatchObject({ user_id: user, trait_names: ['runtime'] });
      break;
    case 'customer':
      expect(result).toMatchObject({ user_id: user, wallets: { points: expect.any(Number) }, trait_names: ['runtime'] });
      break;
    case 'program':
      expect(result.events).toContainEqual(expect.objectContaining({ event: 'purchase.completed' }));
      break;
    case 'stream-token':
      expect(result.statusCode).toBe(200);
      expect(JSON.parse(result.body)).toMatchObject({ token_type: 'Bearer' });
  }
  return node;
}

describe('built bundles', () => {
  it.each(functionNames)("%s runs on Node 24 (the Lambda runtime nodejs24.x, the suites' Node)", async (name) => {
    expect(existsSync(join(root, 'dist/functions', name, 'index.mjs')), 'run `npm run build` first').toBe(true);
    expect(await smoke(process.execPath, 'node24', name)).toMatch(/^v24\./);
  });

  it.for(functionNames)('%s runs on Node 22 (the Lambda runtime nodejs22.x)', async (name, ctx) => {
    if (!node22) {
      if (process.env.CI) throw new Error(node22Problem);
      return ctx.skip(node22Problem);
    }
    expect(await smoke(node22, 'node22', name)).toMatch(/^v22\./);
  });
});
