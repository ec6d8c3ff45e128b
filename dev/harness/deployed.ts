// The functions as serverless.yml deploys them. `serverless package` (osls, offline: the project's
// plugin answers the one AWS lookup) turns serverless.yml and the given parameters into the
// CloudFormation template; each function's runtime, handler, timeout, memory and environment are
// read back from it, nothing stripped. The only translation is the path of the layer: Lambda
// unpacks it into /opt, here it stays in dist/layers/otel, so an environment value naming
// `/opt/<file>` is pointed at that folder.
//
// osls writes its layer zip under `<service>/.serverless/` whatever `--package` says, so two runs
// in the project folder (two test files, or a test and the benchmark) race over it. Each run
// packages in a folder of its own: serverless.yml and serverless/ copied, dist/ and node_modules
// linked, and src/ (serverless/settings.cjs reads the log levels from src/lambda/log-levels.json).
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface DeployedFunction {
  /** The key under `functions:` in serverless.yml (`emit`, `stream-token`). */
  name: string;
  /** The deployed name, `<service>-<stage>-<name>`. */
  functionName: string;
  /** `nodejs24.x` or `nodejs22.x`. */
  runtime: string;
  /** Relative to the package root, which is the project root here: `dist/functions/emit/index.handler`. */
  handler: string;
  timeoutSeconds: number;
  memoryMb: number;
  architectures: string[];
  /** The function's environment as the template sets it, `/opt/…` pointed at the built layer. */
  environment: Record<string, string>;
}

export interface PackageOptions {
  /** The project root, holding serverless.yml and a built dist/. */
  root: string;
  stage?: string;
  /** `--param name=value` for each entry. */
  params?: Record<string, string>;
  /** Bound of the whole `serverless package` run. Default 120 s. */
  timeoutMs?: number;
}

/** Node's major version for a Lambda runtime name (`nodejs24.x` → 24). */
export function nodeMajorOf(runtime: string): number {
  const match = /^nodejs(\d+)\.x$/.exec(runtime);
  if (!match) throw new Error(`${runtime} is not a Lambda Node.js runtime (nodejs<major>.x)`);
  return Number(match[1]);
}

/** Packages the service and returns its functions by name. Throws with osls's output when packaging fails. */
export async function packageFunctions(options: PackageOptions): Promise<Record<string, DeployedFunction>> {
  return functionsOf(await packageTemplate(options), join(options.root, 'dist/layers/otel'));
}

/** Packages the service and returns its CloudFormation template. Throws with osls's output when packaging fails. */
export async function packageTemplate(options: PackageOptions): Promise<Template> {
  const service = await mkdtemp(join(tmpdir(), 'perkamo-package-'));
  const out = join(service, 'out');
  try {
    await cp(join(options.root, 'serverless.yml'), join(service, 'serverless.yml'));
    await cp(join(options.root, 'serverless'), join(service, 'serverless'), { recursive: true });
    for (const linked of ['dist', 'node_modules', 'package.json', 'src']) await symlink(join(options.root, linked), join(service, linked));
    const args = ['package', '--package', out, '--stage', options.stage ?? 'dev'];
    for (const [name, value] of Object.entries(options.params ?? {})) args.push('--param', `${name}=${value}`);
    await new Promise<void>((resolve, reject) => {
      execFile(
        join(options.root, 'node_modules/.bin/serverless'),
        args,
        { cwd: service, env: offlinePackageEnv(), timeout: options.timeoutMs ?? 120_000, maxBuffer: 8 * 1024 * 1024 },
        (error, stdout, stderr) => (error ? reject(new Error(`serverless package failed: ${error.message}\n${stdout}${stderr}`)) : resolve()),
      );
    });
    return JSON.parse(await readFile(join(out, 'cloudformation-template-update-stack.json'), 'utf8')) as Template;
  } finally {
    await rm(service, { recursive: true, force: true });
  }
}

export interface Template {
  Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
}

function functionsOf(template: Template, layerDir: string): Record<string, DeployedFunction> {
  const functions: Record<string, DeployedFunction> = {};
  for (const resource of Object.values(template.Resources)) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const p = resource.Properties as {
      FunctionName: string;
      Handler: string;
      Runtime: string;
      Timeout: number;
      MemorySize: number;
      Architectures?: string[];
      Environment?: { Variables?: Record<string, unknown> };
      LoggingConfig?: { LogFormat?: string; ApplicationLogLevel?: string };
      CapacityProviderConfig?: { LambdaManagedInstancesCapacityProviderConfig?: { PerExecutionEnvironmentMaxConcurrency?: number } };
    };
    const environment: Record<string, string> = {};
    for (const [key, value] of Object.entries(p.Environment?.Variables ?? {})) {
      if (typeof value !== 'string') throw new Error(`${p.FunctionName}: ${key} is not a plain string in the template (${JSON.stringify(value)}); the harness cannot resolve it`);
      // A whole value (AWS_LAMBDA_EXEC_WRAPPER) or a word of one (NODE_OPTIONS' --import).
      environment[key] = value.replace(/(^|\s)\/opt\//g, `$1${layerDir}/`);
    }
    // What Lambda sets from the function's LoggingConfig: the runtime client reads them (JSON
    // console output, level filtering).
    if (p.LoggingConfig?.LogFormat) environment.AWS_LAMBDA_LOG_FORMAT = p.LoggingConfig.LogFormat;
    if (p.LoggingConfig?.ApplicationLogLevel) environment.AWS_LAMBDA_LOG_LEVEL = p.LoggingConfig.ApplicationLogLevel;
    // What Lambda sets on Managed Instances from the capacity-provider configuration: the runtime
    // client and the layer then run many invocations at once.
    const slots = p.CapacityProviderConfig?.LambdaManagedInstancesCapacityProviderConfig?.PerExecutionEnvironmentMaxConcurrency;
    if (slots !== undefined) environment.AWS_LAMBDA_MAX_CONCURRENCY = String(slots);
    const name = p.Handler.split('/').at(-2)!;
    functions[name] = {
      name,
      functionName: p.FunctionName,
      runtime: p.Runtime,
      handler: p.Handler,
      timeoutSeconds: p.Timeout,
      memoryMb: p.MemorySize,
      architectures: p.Architectures ?? ['x86_64'],
      environment,
    };
  }
  return functions;
}

/**
 * The environment osls packages in with no account: fake credentials, every AWS endpoint on
 * `awsEndpoint` (by default a closed loopback port, so a call fails at once), no IMDS, no npm chatter.
 */
export function offlinePackageEnv(awsEndpoint = 'http://127.0.0.1:9'): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith('AWS_') || key.startsWith('SLS_') || key.startsWith('npm_')) continue;
    env[key] = value;
  }
  return {
    ...env,
    AWS_ACCESS_KEY_ID: 'AKIAOFFLINEPACKAGE00',
    AWS_SECRET_ACCESS_KEY: 'offline-package-not-a-secret',
    AWS_ENDPOINT_URL: awsEndpoint,
    AWS_EC2_METADATA_DISABLED: 'true',
    npm_config_update_notifier: 'false',
    npm_config_fund: 'false',
    npm_config_audit: 'false',
  };
}
