// The built functions as serverless.yml deploys them, under the real runtime client: packaged with
// `serverless package` for one Node runtime, then started by the harness with the template's own
// environment (NODE_OPTIONS' --import of the layer, OTEL_*, PERKAMO_SECRET_ARN, AUTH_*). The
// parameters point the URLs at loopback stand-ins — the emulator, a JWKS issuer, an OTLP receiver —
// and the one addition, AWS_ENDPOINT_URL_SECRETS_MANAGER, sends the secret read to a loopback
// Secrets Manager: everything else is what Lambda would be given. Packaged with `traces=xray` (the
// deploy's default), the receiver is a stand-in for CloudWatch's OTLP endpoint that verifies SigV4
// against the credentials the harness gives functions, and the traces endpoint is the one more
// addition (with PERKAMO_OTEL_SIGV4=xray, as a VPC endpoint's private name would need).
import { afterAll, beforeAll, beforeEach, expect } from 'vitest';
import { startEmulator, type Emulator } from '../../src/emulator/index.ts';
import { packageFunctions, type DeployedFunction } from '../../dev/harness/deployed.ts';
import {
  lambdaNode,
  startFunction,
  type InvokeResult,
  type LambdaEnvironment,
  type LambdaNodeMajor,
  type StartFunctionOptions,
} from '../../dev/harness/index.ts';
import { lambdaCredentials } from '../../dev/harness/bootstrap.ts';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../../dev/harness/otlp-receiver.ts';
import { startSecretsManager, type SecretsManagerStandIn } from '../../dev/harness/secrets-manager.ts';
import { AUDIENCE, claims, ISSUER, signRs256, startIssuer } from '../lambda/helpers/jwt-issuer.ts';
import { nodeOrSkipReason } from './support.ts';

export const projectRoot = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');
export const corsOrigin = 'https://app.example.com';
/** The secret serverless.yml's functions read by default (stage dev). */
const secretName = 'perkamo/dev/secret-key';

export interface DeployedStack {
  node: string;
  emulator: Emulator;
  receiver: OtlpReceiver;
  secrets: SecretsManagerStandIn;
  functions: Record<string, DeployedFunction>;
  /** The execution role's credentials the harness hands every function (what the CloudWatch stand-in verifies). */
  credentials: typeof lambdaCredentials;
  /** Starts one function as deployed; `env` is merged over the deployed environment (say, a user's OTEL_PROPAGATORS). */
  start(name: string, env?: Record<string, string>, options?: Partial<StartFunctionOptions>): Promise<LambdaEnvironment>;
  /** An RS256 bearer token from the JWKS issuer the functions trust. */
  bearer(sub: string, scopes?: string[]): Promise<Record<string, string>>;
  /** The spans of one invocation's trace, found by the SERVER/CONSUMER span's faas.invocation_id. */
  traceOf(requestId: string, timeoutMs?: number): Promise<ReceivedSpan[]>;
  /** The spans of the invocation's trace that reached the receiver so far (no waiting). */
  spansOf(result: InvokeResult): ReceivedSpan[];
  close(): Promise<void>;
}

/**
 * Packages for `nodejs<major>.x` and starts the stand-ins. Throws when Node `major` cannot be found
 * (callers decide whether that is a skip or a failure).
 */
export async function deployedStack(major: LambdaNodeMajor, params: Record<string, string> = {}): Promise<DeployedStack> {
  const node = await lambdaNode(major);
  const emulator = await startEmulator({ quiet: true });
  const issuer = await startIssuer();
  const xray = params.traces === 'xray';
  const region = params.region ?? 'eu-central-1';
  const receiver = await startOtlpReceiver(xray ? { sigv4: { region, credentials: lambdaCredentials }, limits: true } : undefined);
  // With traces=xray the template names CloudWatch's endpoint; the functions reach the stand-in instead.
  const tracesEnv: Record<string, string> = xray ? { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${receiver.url}/v1/traces`, PERKAMO_OTEL_SIGV4: 'xray' } : {};
  const secrets = await startSecretsManager({ [secretName]: emulator.keys.server[0]! });
  const environments: LambdaEnvironment[] = [];
  try {
    const functions = await packageFunctions({
      root: projectRoot,
      params: {
        runtime: `nodejs${major}.x`,
        timeout: '3',
        perkamoBaseUrl: emulator.url,
        authJwksUrl: issuer.jwksUrl,
        authIssuer: ISSUER,
        authAudience: AUDIENCE,
        browserKey: emulator.keys.browser[0]!,
        corsAllowedOrigins: corsOrigin,
        ...(xray ? {} : { traces: 'otlp', otelExporterEndpoint: receiver.url }),
        ...params,
      },
    });
    return {
      node,
      emulator,
      receiver,
      secrets,
      functions,
      credentials: lambdaCredentials,
      async start(name, env = {}, options = {}) {
        const fn = functions[name];
        if (!fn) throw new Error(`no function ${name} in the template (${Object.keys(functions).join(', ')})`);
        const environment = await startFunction({
          node,
          taskRoot: projectRoot,
          handler: fn.handler,
          functionName: fn.functionName,
          memoryMb: fn.memoryMb,
          timeoutSeconds: fn.timeoutSeconds,
          env: { ...fn.environment, ...secrets.env, ...tracesEnv, ...env },
          region,
          ...options,
        });
        environments.push(environment);
        return environment;
      },
      async bearer(sub, scopes = ['perkamo:emit', 'perkamo:identify']) {
        return { authorization: `Bearer ${await signRs256(issuer.keys[0]!, claims({ sub, scope: scopes.join(' ') }))}` };
      },
      async traceOf(requestId, timeoutMs = 5_000) {
        const until = Date.now() + timeoutMs;
        for (;;) {
          const root = receiver.spans.find((s) => s.attributes['faas.invocation_id'] === requestId);
          if (root) return receiver.spans.filter((s) => s.traceId === root.traceId);
          if (Date.now() > until) throw new Error(`no span with faas.invocation_id ${requestId} reached the receiver within ${timeoutMs} ms`);
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      },
      spansOf(result) {
        const root = receiver.spans.find((s) => s.attributes['faas.invocation_id'] === result.requestId);
        return root ? receiver.spans.filter((s) => s.traceId === root.traceId) : [];
      },
      async close() {
        await Promise.all(environments.map((e) => e.shutdown()));
        await Promise.all([emulator.close(), receiver.close(), secrets.close()]);
        issuer.close();
      },
    };
  } catch (error) {
    await Promise.all([emulator.close(), receiver.close(), secrets.close()]);
    issuer.close();
    throw error;
  }
}

/** An HTTP invocation answered 200, in time. */
export function expectHttpOk(result: InvokeResult): void {
  expect(result.ok, JSON.stringify(result.error)).toBe(true);
  expect((result.payload as { statusCode: number }).statusCode).toBe(200);
  expect(result.timedOut).toBe(false);
}

/** A stand-in capacity provider's ARN: packaging needs one, the harness runs no EC2. */
export const testCapacityProviderArn = 'arn:aws:lambda:eu-central-1:123456789012:capacity-provider:perkamo-harness';

/**
 * The parameters that put `functions` on Lambda Managed Instances with `slots` invocations per
 * environment, as a team deploys them: the template then carries the capacity-provider configuration
 * (AWS_LAMBDA_MAX_CONCURRENCY, as Lambda sets it), the worker count and libuv's pool.
 */
export function managedInstancesParams(functions: string[], slots: number): Record<string, string> {
  return { managedInstances: functions.join(','), capacityProviderArn: testCapacityProviderArn, managedInstancesConcurrency: String(slots) };
}

/**
 * Inside a `describe` for one Node major: the stack for the whole suite (`ready` runs once it is
 * up, to start environments), a clean emulator and receiver before each test, everything shut
 * down after. Tests skip — or fail, in CI — when the Node binary is missing. The answer stands for
 * the stack from the suite's start: the describe holds it before the stack is up, its tests use it.
 */
export function useDeployedStack(major: LambdaNodeMajor, params: Record<string, string> = {}, ready?: (stack: DeployedStack) => Promise<void>): DeployedStack {
  let skip: string | undefined;
  let stack: DeployedStack | undefined;
  beforeAll(async () => {
    skip = await nodeOrSkipReason(major);
    if (skip) return;
    stack = await deployedStack(major, params);
    await ready?.(stack);
  }, 120_000);
  afterAll(() => stack?.close(), 30_000);
  beforeEach((ctx) => {
    if (skip) ctx.skip(skip);
    stack!.emulator.reset();
    stack!.emulator.setFaults([]);
    stack!.receiver.reset();
  });
  return new Proxy({} as DeployedStack, {
    get(_, key) {
      if (!stack) throw new Error(`the deployed stack (Node ${major}) is not up: used outside a test, or its packaging failed`);
      return Reflect.get(stack, key);
    },
  });
}
