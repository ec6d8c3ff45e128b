import { type Emulator } from '../../src/emulator/index.ts';
import { type DeployedFunction } from '../../src/local/harness/deployed.ts';
import { type LambdaEnvironment, type LambdaNodeMajor, type StartFunctionOptions } from '../../src/local/harness/index.ts';
import { type OtlpReceiver, type ReceivedSpan } from '../../src/local/harness/otlp-receiver.ts';
import { type SecretsManagerStandIn } from '../../src/local/harness/secrets-manager.ts';
export declare const projectRoot: string;
export declare const corsOrigin = "https://app.example.com";
export interface DeployedStack {
    node: string;
    emulator: Emulator;
    receiver: OtlpReceiver;
    secrets: SecretsManagerStandIn;
    functions: Record<string, DeployedFunction>;
    /** Starts one function as deployed; `env` is merged over the deployed environment (say, a user's OTEL_PROPAGATORS). */
    start(name: string, env?: Record<string, string>, options?: Partial<StartFunctionOptions>): Promise<LambdaEnvironment>;
    /** An RS256 bearer token from the JWKS issuer the functions trust. */
    bearer(sub: string, scopes?: string[]): Promise<Record<string, string>>;
    /** The spans of one invocation's trace, found by the SERVER/CONSUMER span's faas.invocation_id. */
    traceOf(requestId: string, timeoutMs?: number): Promise<ReceivedSpan[]>;
    close(): Promise<void>;
}
/**
 * Packages for `nodejs<major>.x` and starts the stand-ins. Throws when Node `major` cannot be found
 * (callers decide whether that is a skip or a failure).
 */
export declare function deployedStack(major: LambdaNodeMajor, params?: Record<string, string>): Promise<DeployedStack>;
/**
 * Inside a `describe` for one Node major: the stack for the whole suite (`ready` runs once it is
 * up, to start environments), a clean emulator and receiver before each test, everything shut
 * down after. Tests skip — or fail, in CI — when the Node binary is missing.
 */
export declare function useDeployedStack(major: LambdaNodeMajor, params?: Record<string, string>, ready?: (stack: DeployedStack) => Promise<void>): () => DeployedStack;
