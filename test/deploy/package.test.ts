// `npm run package` end to end: build, then `serverless package` (osls) offline with no account,
// in a clean copy of the project. The tests read the generated CloudFormation template and the
// zips and check every promise of serverless.yml (issue 6, docs/deploy.md): runtime and
// architecture, the OTel layer, HTTP routes, queues and their event sources, EventBridge rules,
// least-privilege IAM, log retention, artifact contents; then the same with the FIFO variant, the
// API Gateway JWT authorizer, a KMS key and an SSM parameter switched on with `--param`; and where
// the spans go: `traces` xray (the default), otlp and none, and `transactionSearch`.
import { functionNames, functions, type FunctionName } from '../../src/lambda/functions/index.ts';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  actionsOf,
  asArray,
  awsRecorder,
  cleanCopy,
  functionStatements,
  offlineEnv,
  policyStatements,
  projectDir,
  readTemplate,
  stableTemplate,
  readZip,
  refOf,
  resource,
  resourcesOfType,
  run,
  type Props,
  type RunResult,
  type Template,
} from './helpers.ts';
import { specProblems } from './resource-spec.ts';
import { createRequire } from 'node:module';

/** osls's naming of logical ids (`stream-token` → `StreamDashtoken`), from the deploy's own helper. */
const { normalizedName } = createRequire(import.meta.url)('../../serverless/osls.cjs') as { normalizedName: (name: string) => string };
import { xrayEndpointRegion } from '../../layers/otel/config.ts';

// The function list every tool reads (src/lambda/functions/index.ts): serverless.yml must deploy exactly it.
const FUNCTIONS = functionNames;

/** Every file below `dir`. */
function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? walk(join(dir, entry.name)) : [join(dir, entry.name)]));
}

const KMS_KEY = 'arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const SECRET_ARN = 'arn:aws:secretsmanager:eu-central-1:123456789012:secret:perkamo/prod/secret-key-AbCdEf';
const BUS_ARN = 'arn:aws:events:eu-central-1:123456789012:event-bus/shop-events';
const PRODUCERS = ['arn:aws:iam::123456789012:role/shop-checkout', 'arn:aws:iam::123456789012:role/crm-sync'];

let dir = '';
let recorder: Awaited<ReturnType<typeof awsRecorder>>;
let packaged: RunResult;
let refused: RunResult;
let refusedFiles: string[] = [];
/** What every function needs to start (docs/deploy.md's deploy sequence): HTTP auth and stream-token's browser key. */
const required = [
  '--param', 'authJwksUrl=https://login.example.com/.well-known/jwks.json',
  '--param', 'authIssuer=https://login.example.com/',
  '--param', 'authAudience=https://perkamo-api.example.com',
  '--param', 'browserKey=pk_live_example',
];
/** What `npm run package` left in .serverless/ (moved to .serverless-default/: osls empties .serverless/ on every package). */
let packageFiles: string[] = [];
let out = '';
let template: Template;
let variant: Template;
let variantRun: RunResult;
let ssm: Template;
let ssmRun: RunResult;
let invalid: RunResult;
let localRun: RunResult;
let printed: RunResult;
/** traces: the default (xray) in us-west-2 with transactionSearch, xray with `--region cn-north-1`, otlp, none. */
let search: Template;
let china: Template;
let otlp: Template;
let none: Template;
/** Bad traces parameters: otlp's, xray's, an unknown `traces`. */
let invalidOtlp: RunResult;
let invalidXray: RunResult;
let invalidTraces: RunResult;
const HONEYCOMB_KEY = 'hc-key-not-to-be-printed';

/** `serverless package` again (no build) into `out`, with extra `--param`s. */
const packageWith = (out: string, args: string[]) =>
  run(join(dir, 'node_modules/.bin/serverless'), ['package', '--package', out, ...args], { cwd: dir, env: offlineEnv(recorder.url), timeoutMs: 90_000 });

beforeAll(async () => {
  recorder = await awsRecorder();
  dir = cleanCopy();
  // The defaults leave HTTP auth and the browser key unset: refused, nothing packaged.
  refused = await run('npm', ['run', 'package'], { cwd: dir, env: offlineEnv(recorder.url), timeoutMs: 180_000 });
  refusedFiles = existsSync(join(dir, '.serverless')) ? readdirSync(join(dir, '.serverless')) : [];
  packaged = await run('npm', ['run', 'package', '--', ...required], { cwd: dir, env: offlineEnv(recorder.url), timeoutMs: 180_000 });
  if (packaged.code !== 0) throw new Error(`npm run package failed (${packaged.code}):\n${packaged.output}`);
  packageFiles = readdirSync(join(dir, '.serverless')).sort();
  out = join(dir, '.serverless-default');
  renameSync(join(dir, '.serverless'), out);
  template = readTemplate(out);

  variantRun = await packageWith('.serverless-variant', [
    '--stage', 'prod',
    '--param', 'browserKey=pk_live_example',
    '--param', 'fifo=true',
    '--param', 'jwtIssuer=https://login.example.com/',
    '--param', 'jwtAudience=https://perkamo-api.example.com',
    '--param', `kmsKeyArn=${KMS_KEY}`,
    '--param', `secretArn=${SECRET_ARN}`,
    '--param', `eventBus=${BUS_ARN}`,
    '--param', 'eventSources=com.example.shop',
    '--param', 'timeout=20',
    '--param', 'runtime=nodejs22.x',
    '--param', 'sourceMaps=true',
    // 2 queues × 10 batches × 2 calls = 40 calls at once: exactly the plan's limit, accepted.
    '--param', 'queueMaximumConcurrency=10',
    '--param', 'perkamoConcurrency=2',
    '--param', 'perkamoMaxConcurrentCalls=40',
    '--param', 'reservedConcurrency=25',
    '--param', 'alarmTopicArn=arn:aws:sns:eu-central-1:123456789012:perkamo-ops',
    '--param', 'alarmQueueAgeSeconds=300',
    '--param', 'httpThrottlingRateLimit=50',
    '--param', 'httpThrottlingBurstLimit=75',
    '--param', 'logLevel=DEBUG',
  ]);
  if (variantRun.code !== 0) throw new Error(`variant package failed:\n${variantRun.output}`);
  variant = readTemplate(join(dir, '.serverless-variant'));

  ssmRun = await packageWith('.serverless-ssm', [
    ...required,
    '--param', 'secretParameter=/perkamo/dev/secret-key',
    '--param', `kmsKeyArn=${KMS_KEY}`,
    '--param', `eventProducers=${PRODUCERS.join(',')}`,
  ]);
  if (ssmRun.code !== 0) throw new Error(`SSM package failed:\n${ssmRun.output}`);
  ssm = readTemplate(join(dir, '.serverless-ssm'));

  localRun = await packageWith('.serverless-local', ['--stage', 'local']);

  const tracesPackage = async (out: string, args: string[]) => {
    const result = await packageWith(out, [...required, ...args]);
    if (result.code !== 0) throw new Error(`package ${args.join(' ')} failed:\n${result.output}`);
    return readTemplate(join(dir, out));
  };
  search = await tracesPackage('.serverless-search', ['--param', 'region=us-west-2', '--param', 'transactionSearch=true', '--param', 'transactionSearchIndexingPercentage=5']);
  china = await tracesPackage('.serverless-china', ['--region', 'cn-north-1']);
  otlp = await tracesPackage('.serverless-otlp', [
    '--param', 'traces=otlp',
    '--param', 'otelExporterEndpoint=https://api.honeycomb.io',
    '--param', `otelExporterHeaders=x-honeycomb-team=${HONEYCOMB_KEY}`,
  ]);
  none = await tracesPackage('.serverless-none', ['--param', 'traces=none']);
  // Refused while resolving the parameters, before osls writes anything: they may run at once.
  [invalidOtlp, invalidXray, invalidTraces] = await Promise.all([
    packageWith('.serverless-invalid-otlp', [...required, '--param', 'traces=otlp', '--param', 'transactionSearch=true', '--param', `otelExporterHeaders=x-honeycomb-team=${HONEYCOMB_KEY},${HONEYCOMB_KEY}`]),
    packageWith('.serverless-invalid-xray', [
      ...required,
      '--param', 'otelExporterEndpoint=https://api.honeycomb.io',
      '--param', `otelExporterHeaders=x-honeycomb-team=${HONEYCOMB_KEY}`,
      '--param', 'transactionSearchIndexingPercentage=101',
    ]),
    packageWith('.serverless-invalid-traces', [...required, '--param', 'traces=zipkin']),
  ]);

  invalid = await packageWith('.serverless-invalid', [
    '--param', 'fifo=true',
    '--param', 'fifoBatchSize=11',
    '--param', 'jwtIssuer=https://login.example.com/',
    '--param', 'logRetentionInDays=10',
    '--param', 'runtime=nodejs20.x',
    '--param', 'perkamoMaxConcurrentCalls=10',
    '--param', 'eventBus=default',
    '--param', `eventProducers=${PRODUCERS[0]}`,
    '--param', 'logLevel=verbose',
    '--param', 'authJwksURL=https://login.example.com/.well-known/jwks.json',
    '--param', 'browserKey=pk_live_…',
    '--param', 'alarmQueueAgeSeconds=5',
  ]);
  // A command that builds no template goes on past a parameter the service no longer has: a stale stage stays removable, printable.
  printed = await run(join(dir, 'node_modules/.bin/serverless'), ['print', ...required, '--param', 'authJwksURL=https://login.example.com/jwks'], {
    cwd: dir,
    env: offlineEnv(recorder.url),
    timeoutMs: 90_000,
  });
}, 300_000);

afterAll(async () => {
  await recorder?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------

function functionId(t: Template, name: FunctionName): string {
  const found = resourcesOfType(t, 'AWS::Lambda::Function').filter(([, r]) => r.Properties.Handler === `dist/functions/${name}/index.handler`);
  expect(found, `one function with handler dist/functions/${name}/index.handler`).toHaveLength(1);
  return found[0]![0];
}

function fn(t: Template, name: FunctionName): Props {
  return resource(t, functionId(t, name)).Properties;
}

function env(t: Template, name: FunctionName): Record<string, string> {
  return fn(t, name).Environment.Variables as Record<string, string>;
}

function routes(t: Template): Map<string, Props> {
  return new Map(resourcesOfType(t, 'AWS::ApiGatewayV2::Route').map(([, r]) => [r.Properties.RouteKey as string, r.Properties]));
}

/** The function a route invokes: Route → Integration → function ARN. */
function routeTarget(t: Template, route: Props): string | undefined {
  const join = route.Target['Fn::Join'] as [string, unknown[]];
  const integrationId = refOf(join[1][1]);
  return refOf(resource(t, integrationId!, 'AWS::ApiGatewayV2::Integration').Properties.IntegrationUri);
}

function eventSourceMapping(t: Template, name: FunctionName): Props {
  const id = functionId(t, name);
  const found = resourcesOfType(t, 'AWS::Lambda::EventSourceMapping').filter(([, r]) => refOf(r.Properties.FunctionName) === id);
  expect(found, `one event source mapping for ${name}`).toHaveLength(1);
  return found[0]![1].Properties;
}

function rule(t: Template, name: FunctionName): Props {
  const id = functionId(t, name);
  const found = resourcesOfType(t, 'AWS::Events::Rule').filter(([, r]) => asArray(r.Properties.Targets as Props[]).some((target) => refOf(target.Arn) === id));
  expect(found, `one EventBridge rule for ${name}`).toHaveLength(1);
  return found[0]![1].Properties;
}

/** The literal text of a resource: a string, or the template of an `Fn::Sub`. */
function text(value: unknown): string {
  if (typeof value === 'string') return value;
  const sub = (value as Props | null)?.['Fn::Sub'];
  if (typeof sub === 'string') return sub;
  return JSON.stringify(value);
}

const isWildcard = (value: unknown) => asArray(value as unknown).some((v) => v === '*');

/** What traces=xray adds to every function's role, and nothing else: X-Ray's actions take no resource but "*". */
const XRAY_ACTIONS = ['xray:PutSpans', 'xray:PutTelemetryRecords', 'xray:PutTraceSegments'];
const isXrayStatement = (statement: { Action: string | string[] }) => actionsOf(statement as never).some((a) => a.startsWith('xray:'));

// ---------------------------------------------------------------------------------------------

describe("the templates against AWS's resource specification (@aws-cdk/aws-service-spec)", () => {
  it('every resource type, property name, value type and required property of the default, variant, SSM and traces templates is valid', () => {
    const templates = { default: template, variant, ssm, 'transactionSearch, us-west-2': search, 'cn-north-1': china, otlp, none };
    for (const [name, t] of Object.entries(templates)) expect(specProblems(t), name).toEqual([]);
  });

  it('the check itself finds a wrong type, an unknown property, a missing required property and an unknown resource type', () => {
    const broken = structuredClone(template);
    const fnId = functionId(broken, 'emit');
    broken.Resources[fnId]!.Properties.MemorySize = 'lots';
    broken.Resources[fnId]!.Properties.Handlr = 'x';
    delete broken.Resources[fnId]!.Properties.Role;
    broken.Resources.Bogus = { Type: 'AWS::Lambda::Functon', Properties: {} };
    const problems = specProblems(broken);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/MemorySize: expected a integer/),
        expect.stringMatching(/Handlr is not a property of it/),
        expect.stringMatching(/required property Role is missing/),
        expect.stringMatching(/Bogus: AWS::Lambda::Functon is not a CloudFormation resource type/),
      ]),
    );
  });
});

describe('the functions, made from the function list (serverless/functions.cjs)', () => {
  /** What the generated template says differently from the hand-written one (the description is made from the route now). */
  const changed: Record<string, unknown> = {
    'Resources.CustomerLambdaFunction.Properties.Description': 'Perkamo customer — GET /customer (browsers)',
    // The deploy loads the layer through NODE_OPTIONS since issue 26; the description says both ways.
    'Resources.OtelLambdaLayer.Properties.Description':
      'OpenTelemetry tracing for perkamo-lambda (NODE_OPTIONS=--import /opt/otel-init.mjs, or AWS_LAMBDA_EXEC_WRAPPER=/opt/perkamo-otel-handler)',
  };
  it.each([
    ['default', () => template],
    ['variant', () => variant],
  ])('%s: every resource and output of the hand-written serverless.yml is there, unchanged', (name, current) => {
    const before = JSON.parse(readFileSync(join(import.meta.dirname, `fixtures/template-${name}-before-generation.json`), 'utf8')) as Template & { Outputs: Record<string, unknown> };
    for (const [path, value] of Object.entries(changed)) {
      const keys = path.split('.');
      const owner = keys.slice(0, -1).reduce<any>((o, k) => o[k], before);
      owner[keys.at(-1)!] = value;
    }
    // Since (issue 26): the layer's init is loaded by NODE_OPTIONS, without the exec wrapper.
    for (const resource of Object.values(before.Resources).filter((r) => r.Type === 'AWS::Lambda::Function')) {
      const variables = (resource.Properties as { Environment: { Variables: Record<string, unknown> } }).Environment.Variables;
      delete variables.AWS_LAMBDA_EXEC_WRAPPER;
      variables.NODE_OPTIONS = [variables.NODE_OPTIONS, '--import /opt/otel-init.mjs'].filter(Boolean).join(' ');
    }
    // Functions added to the list since (program) bring resources and list entries of their own: left out here.
    const added = functionNames.filter((name) => !(`${normalizedName(name)}LambdaFunction` in before.Resources)).map((name) => normalizedName(name));
    const mentionsAdded = (value: unknown) => added.some((id) => JSON.stringify(value).includes(id));
    const withoutAdded = (value: unknown): unknown =>
      Array.isArray(value)
        ? value.filter((item) => !mentionsAdded(item)).map(withoutAdded)
        : value && typeof value === 'object'
          ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withoutAdded(v)]))
          : value;
    const now = withoutAdded(stableTemplate(current())) as Template & { Outputs: Record<string, unknown> };
    for (const [id, resource] of Object.entries(before.Resources)) expect(now.Resources[id], id).toEqual(resource);
    for (const [id, output] of Object.entries(before.Outputs)) expect(now.Outputs[id], id).toEqual(output);
    // Nothing else is new but what the added functions bring.
    for (const id of Object.keys(now.Resources).filter((id) => !(id in before.Resources))) expect(mentionsAdded({ [id]: now.Resources[id] }), id).toBe(true);
  });

  it("a route and a scope are written once in the package's sources: in the function's own module", () => {
    const sources = [...walk(join(projectDir, 'src/lambda')), ...walk(join(projectDir, 'serverless')), join(projectDir, 'serverless.yml'), ...walk(join(projectDir, 'functions'))];
    const texts = sources.map((file) => [file.slice(projectDir.length + 1), readFileSync(file, 'utf8')] as const);
    for (const fn of functions) {
      const home = `src/lambda/functions/${fn.name}.ts`;
      const route = texts.filter(([, text]) => text.includes(`'${fn.route}'`)).map(([file]) => file);
      expect(route, fn.route).toEqual([home]);
      if (fn.scope !== undefined) {
        const scope = texts.filter(([, text]) => text.includes(`'${fn.scope}'`)).map(([file]) => file);
        expect(scope, fn.scope).toContain(home);
        for (const file of scope) expect(file, `${fn.scope} outside a function module`).toMatch(/^src\/lambda\/functions\/[a-z-]+\.ts$/);
      }
    }
  });
});

describe('npm run package (offline, no account)', () => {
  it('refuses the default parameters: every function that could not start, each problem with its parameter, nothing packaged', () => {
    expect(refused.code).not.toBe(0);
    const out = refused.output;
    expect(out).toContain('These functions could not start with the parameters of stage "dev", so nothing was packaged:');
    // The messages are the functions' own (their cold start's LambdaConfigurationError), with the parameter that sets each variable.
    // Each problem once: the three auth lines under "every function", stream-token's own under it.
    expect(out).toMatch(/every function:\n\s+- AUTH_JWKS_URL: HTTP callers cannot be authenticated.*\[parameter authJwksUrl\]/);
    for (const variable of ['AUTH_JWKS_URL', 'AUTH_ISSUER', 'AUTH_AUDIENCE', 'PERKAMO_BROWSER_KEY']) expect(out.split(`- ${variable}:`).length - 1, variable).toBe(1);
    expect(out).toMatch(/AUTH_ISSUER: required when tokens are verified here.*\[parameter authIssuer\]/);
    expect(out).toMatch(/AUTH_AUDIENCE: required when tokens are verified here.*\[parameter authAudience\]/);
    expect(out).toMatch(/stream-token:\n\s+- PERKAMO_BROWSER_KEY: required by this function.*\[parameter browserKey\]/);
    expect(out).toContain('or jwtIssuer and jwtAudience');
    expect(out).not.toMatch(/\n\s+at /); // no stack trace
    expect(refusedFiles.filter((f) => f.endsWith('.zip') || f.endsWith('.json')), refusedFiles.join(', ')).toEqual([]);
  });

  it('writes one zip per function, the layer zip and the template, and calls no AWS endpoint', () => {
    for (const file of ['emit.zip', 'batch.zip', 'identify.zip', 'stream-token.zip', 'otel.zip', 'cloudformation-template-update-stack.json']) {
      expect(packageFiles, file).toContain(file);
    }
    expect(recorder.requests, 'requests that reached the stand-in AWS endpoint').toEqual([]);
  });

  it('declares exactly the functions of the function list', () => {
    const handlers = resourcesOfType(template, 'AWS::Lambda::Function').map(([, r]) => r.Properties.Handler as string).sort();
    expect(handlers).toEqual(FUNCTIONS.map((name) => `dist/functions/${name}/index.handler`).sort());
  });

  it('runs every function on nodejs24.x, arm64, 10 s timeout, with the OTel layer (Node 22 and 24, both architectures) and its wrapper', () => {
    const layerId = resourcesOfType(template, 'AWS::Lambda::LayerVersion').map(([id]) => id);
    expect(layerId).toEqual(['OtelLambdaLayer']);
    const layer = resource(template, 'OtelLambdaLayer').Properties;
    expect([...layer.CompatibleRuntimes].sort()).toEqual(['nodejs22.x', 'nodejs24.x']);
    expect([...layer.CompatibleArchitectures].sort()).toEqual(['arm64', 'x86_64']);
    for (const name of FUNCTIONS) {
      const p = fn(template, name);
      expect(p.Runtime, name).toBe('nodejs24.x');
      expect(p.Architectures, name).toEqual(['arm64']);
      expect(p.Timeout, name).toBe(10);
      expect(p.MemorySize, name).toBe(256);
      expect(asArray(p.Layers as unknown[]).map(refOf), name).toEqual(['OtelLambdaLayer']);
      // The layer's init through NODE_OPTIONS, not its exec wrapper (a bash process: ≈ 5 ms of every cold start).
      expect(env(template, name).AWS_LAMBDA_EXEC_WRAPPER, name).toBeUndefined();
      // Source maps add 4–17 ms to every Init Duration (bench/RESULTS.md): off unless sourceMaps=true (the variant).
      expect(env(template, name).NODE_OPTIONS, name).toBe('--import /opt/otel-init.mjs');
    }
  });

  it('gives the functions the configuration the README documents', () => {
    for (const name of FUNCTIONS) {
      const e = env(template, name);
      expect(e, name).toMatchObject({
        PERKAMO_BASE_URL: 'https://api.perkamo.com',
        PERKAMO_SECRET_ARN: 'perkamo/dev/secret-key',
        PERKAMO_SECRET_PARAMETER: '',
        AUTH_TRUST_API_GATEWAY: 'false',
        AUTH_USER_ID_CLAIM: 'sub',
        LOG_LEVEL: 'info',
        OTEL_SERVICE_NAME: 'perkamo-lambda',
        OTEL_TRACES_EXPORTER: 'otlp',
      });
      for (const key of ['AUTH_JWKS_URL', 'AUTH_ISSUER', 'AUTH_AUDIENCE', 'OTEL_EXPORTER_OTLP_ENDPOINT']) expect(e, `${name} ${key}`).toHaveProperty(key);
      expect(e, `${name} never carries the server key itself`).not.toHaveProperty('PERKAMO_SECRET_KEY');
    }
    expect(env(template, 'stream-token')).toHaveProperty('PERKAMO_BROWSER_KEY');
    expect(env(template, 'stream-token')).toHaveProperty('CORS_ALLOWED_ORIGINS');
    expect(env(template, 'emit')).not.toHaveProperty('PERKAMO_BROWSER_KEY');
  });

  it("routes each function's HTTP route (and the browser functions' preflights) to it, as the function list says, no authorizer by default", () => {
    const r = routes(template);
    const expected: Record<string, FunctionName> = {};
    for (const operation of functions) {
      if (!operation.triggers.includes('http')) continue;
      expected[operation.route] = operation.name;
      if (operation.browser) expected[`OPTIONS ${operation.route.split(' ')[1]}`] = operation.name;
    }
    expect([...r.keys()].sort()).toEqual(Object.keys(expected).sort());
    expect(expected).toMatchObject({ 'POST /events': 'emit', 'GET /customer': 'customer', 'OPTIONS /stream-token': 'stream-token' });
    for (const [key, name] of Object.entries(expected)) {
      expect(routeTarget(template, r.get(key)!), key).toBe(functionId(template, name));
      expect(r.get(key)!.AuthorizationType, key).toBeUndefined();
    }
    expect(resourcesOfType(template, 'AWS::ApiGatewayV2::Authorizer')).toEqual([]);
    const integrations = resourcesOfType(template, 'AWS::ApiGatewayV2::Integration');
    for (const [, integration] of integrations) expect(integration.Properties.PayloadFormatVersion).toBe('2.0');
  });

  it('feeds the events queue to batch with ReportBatchItemFailures, batch size and batching window', () => {
    const m = eventSourceMapping(template, 'batch');
    expect(refOf(m.EventSourceArn)).toBe('EventsQueue');
    expect(m.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
    expect(m.BatchSize).toBe(100);
    expect(m.MaximumBatchingWindowInSeconds).toBe(2);
    expect(m.Enabled).toBe(true);
  });

  it("logs in Lambda's JSON format, its level filter from logLevel (info): LoggingConfig and LOG_LEVEL agree", () => {
    for (const name of FUNCTIONS) {
      expect(fn(template, name).LoggingConfig, name).toEqual({ LogFormat: 'JSON', ApplicationLogLevel: 'INFO', SystemLogLevel: 'WARN' });
      expect(env(template, name).LOG_LEVEL, name).toBe('info');
    }
  });

  it('caps what the queues send Perkamo at once: maximumConcurrency 5 on both event sources, PERKAMO_CONCURRENCY 4, no reserved concurrency', () => {
    for (const name of ['batch', 'identify'] as const) expect(eventSourceMapping(template, name).ScalingConfig, name).toEqual({ MaximumConcurrency: 5 });
    for (const name of FUNCTIONS) {
      expect(env(template, name).PERKAMO_CONCURRENCY, name).toBe('4');
      expect(fn(template, name).ReservedConcurrentExecutions, name).toBeUndefined();
    }
  });

  it('alarms on every DLQ not empty, each queue falling behind (900 s), each function erring or throttled; no one notified without alarmTopicArn', () => {
    const alarms = new Map(resourcesOfType(template, 'AWS::CloudWatch::Alarm').map(([id, r]) => [id, r.Properties]));
    const on = (metric: string) =>
      [...alarms.values()].filter((a) => a.MetricName === metric).map((a) => a.Dimensions[0].Value['Fn::GetAtt']?.[0] ?? refOf(a.Dimensions[0].Value)).sort();
    expect(on('ApproximateNumberOfMessagesVisible')).toEqual(['EventBridgeDeadLetterQueue', 'EventsDeadLetterQueue', 'IdentifyDeadLetterQueue']);
    expect(on('ApproximateAgeOfOldestMessage')).toEqual(['EventsQueue', 'IdentifyQueue']);
    const functionIds = FUNCTIONS.map((name) => functionId(template, name)).sort();
    expect(on('Errors')).toEqual(functionIds);
    expect(on('Throttles')).toEqual(functionIds);
    expect(alarms.size).toBe(5 + 2 * FUNCTIONS.length);
    for (const [id, a] of alarms) {
      expect(a.AlarmActions, id).toBeUndefined();
      expect(a.ComparisonOperator, id).toBe('GreaterThanOrEqualToThreshold');
      expect(a.AlarmDescription, id).toMatch(/^perkamo-lambda: .{40,}/);
    }
    const age = [...alarms.values()].find((a) => a.MetricName === 'ApproximateAgeOfOldestMessage')!;
    expect(age.Threshold).toBe(900);
    expect([...alarms.values()].find((a) => a.MetricName === 'ApproximateNumberOfMessagesVisible')!.Threshold).toBe(1);
  });

  it('throttles every HTTP route (100/s, bursts of 200) and writes JSON access logs with the request id and no header or body', () => {
    const stage = resource(template, 'HttpApiStage', 'AWS::ApiGatewayV2::Stage').Properties;
    expect(stage.DefaultRouteSettings).toMatchObject({ ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 });
    expect(refOf(stage.AccessLogSettings.DestinationArn) ?? stage.AccessLogSettings.DestinationArn['Fn::GetAtt'][0]).toBe('HttpApiLogGroup');
    const format = JSON.parse(stage.AccessLogSettings.Format);
    expect(format).toMatchObject({ requestId: '$context.requestId', routeKey: '$context.routeKey', status: '$context.status' });
    expect(stage.AccessLogSettings.Format).not.toMatch(/header|querystring|body|authorization/i);
    expect(resource(template, 'HttpApiLogGroup', 'AWS::Logs::LogGroup').Properties.RetentionInDays).toBe(14);
  });

  it('feeds the identify queue to identify with ReportBatchItemFailures', () => {
    const m = eventSourceMapping(template, 'identify');
    expect(refOf(m.EventSourceArn)).toBe('IdentifyQueue');
    expect(m.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
    expect(m.BatchSize).toBe(10);
    expect(resourcesOfType(template, 'AWS::Lambda::EventSourceMapping')).toHaveLength(2);
  });

  it('redrives each queue to its own DLQ after maxReceiveCount (5), with a visibility timeout ≥ 6 × the function timeout', () => {
    for (const [queue, dlq, name] of [['EventsQueue', 'EventsDeadLetterQueue', 'batch'], ['IdentifyQueue', 'IdentifyDeadLetterQueue', 'identify']] as const) {
      const q = resource(template, queue, 'AWS::SQS::Queue').Properties;
      expect(refOf(q.RedrivePolicy.deadLetterTargetArn), queue).toBe(dlq);
      expect(q.RedrivePolicy.maxReceiveCount, queue).toBe(5);
      const timeout = fn(template, name).Timeout as number;
      expect(q.VisibilityTimeout, queue).toBeGreaterThanOrEqual(6 * timeout);
      expect(q.FifoQueue, queue).toBeUndefined();
      const d = resource(template, dlq, 'AWS::SQS::Queue').Properties;
      expect(d.MessageRetentionPeriod, dlq).toBeGreaterThan(q.MessageRetentionPeriod as number);
    }
  });

  it('subscribes emit and identify to EventBridge with a retry policy and a dead-letter queue', () => {
    for (const [name, detailType] of [['emit', 'purchase.completed'], ['identify', 'customer.updated']] as const) {
      const r = rule(template, name);
      expect(r.State).toBe('ENABLED');
      // A bus of the stack's own: not the account's default bus, where any producer could put events.
      expect(r.EventBusName).toBe('perkamo-lambda-dev');
      expect(r.EventPattern['detail-type']).toContain(detailType);
      expect(r.EventPattern.detail.user_id).toEqual([{ exists: true }]);
      const [target, ...more] = asArray(r.Targets as Props[]);
      expect(more).toEqual([]);
      expect(target!.RetryPolicy).toEqual({ MaximumRetryAttempts: 10, MaximumEventAgeInSeconds: 3600 });
      expect(refOf(target!.DeadLetterConfig.Arn)).toBe('EventBridgeDeadLetterQueue');
    }
    expect(rule(template, 'emit').EventPattern['detail-type']).toEqual(['purchase.completed', 'lesson.finished', 'user.registered', 'referral.completed', 'page.viewed']);
    expect(rule(template, 'emit').EventPattern.detail.event).toEqual([{ exists: true }]);
    expect(rule(template, 'emit').EventPattern.source, 'any source by default').toBeUndefined();
    expect(resourcesOfType(template, 'AWS::Events::Rule')).toHaveLength(2);
  });

  it("creates the stack's own event bus, with no producers policy unless eventProducers names them", () => {
    const buses = resourcesOfType(template, 'AWS::Events::EventBus').map(([, r]) => r.Properties.Name);
    expect(buses).toEqual(['perkamo-lambda-dev']);
    expect(resourcesOfType(template, 'AWS::Events::EventBusPolicy')).toEqual([]);
  });

  it('lets only our two rules send to the EventBridge DLQ, and sends failed async invocations there too', () => {
    const policies = resourcesOfType(template, 'AWS::SQS::QueuePolicy');
    expect(policies).toHaveLength(1);
    const policy = policies[0]![1].Properties;
    expect(asArray(policy.Queues as unknown[]).map(refOf)).toEqual(['EventBridgeDeadLetterQueue']);
    const [statement, ...more] = asArray(policy.PolicyDocument.Statement as Props[]);
    expect(more).toEqual([]);
    expect(statement).toMatchObject({ Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' }, Action: 'sqs:SendMessage' });
    expect(refOf(statement!.Resource)).toBe('EventBridgeDeadLetterQueue');
    const sources = asArray(statement!.Condition.ArnEquals['aws:SourceArn'] as unknown[]).map(text);
    expect(sources).toEqual([
      'arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:rule/perkamo-lambda-dev/perkamo-lambda-dev-emit',
      'arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:rule/perkamo-lambda-dev/perkamo-lambda-dev-identify',
    ]);
    expect(rule(template, 'emit').Name).toBe('perkamo-lambda-dev-emit');
    expect(rule(template, 'identify').Name).toBe('perkamo-lambda-dev-identify');
    expect(resource(template, 'EventBridgeDeadLetterQueue').Properties.FifoQueue).toBeUndefined();

    const configs = resourcesOfType(template, 'AWS::Lambda::EventInvokeConfig');
    expect(configs.map(([, c]) => refOf(c.Properties.FunctionName)).sort()).toEqual([functionId(template, 'emit'), functionId(template, 'identify')].sort());
    for (const [, c] of configs) {
      expect(c.Properties.MaximumRetryAttempts).toBe(2);
      expect(refOf(c.Properties.DestinationConfig.OnFailure.Destination)).toBe('EventBridgeDeadLetterQueue');
    }
  });

  it('keeps logs for logRetentionInDays (14) in one log group per function, and one for the HTTP API access log', () => {
    const groups = resourcesOfType(template, 'AWS::Logs::LogGroup');
    expect(groups).toHaveLength(FUNCTIONS.length + 1);
    expect(groups.map(([, g]) => g.Properties.LogGroupName)).toContain('/aws/http-api/perkamo-lambda-dev');
    for (const [, group] of groups) expect(group.Properties.RetentionInDays).toBe(14);
    for (const name of FUNCTIONS) {
      expect(groups.map(([, g]) => g.Properties.LogGroupName)).toContain(`/aws/lambda/perkamo-lambda-dev-${name}`);
    }
  });

  it('grants nothing on "*" but the X-Ray statement: no other statement has Resource "*", none a wildcard action', () => {
    const statements = policyStatements(template);
    expect(statements.length).toBeGreaterThan(10);
    for (const { where, statement } of statements) {
      if (statement.Effect !== 'Allow') continue;
      if (isXrayStatement(statement)) {
        // X-Ray's actions have no resource type: "*" is all they take (checked in full under "traces").
        expect(where).toBe('XRayTracesPolicy/policy');
        expect([...actionsOf(statement)].sort()).toEqual(XRAY_ACTIONS);
        continue;
      }
      // Only statements naming AWS principals (trust and resource policies) may omit Resource.
      if (statement.Resource === undefined) expect(statement.Principal, where).toBeDefined();
      expect(isWildcard(statement.Resource), `${where} ${JSON.stringify(statement)}`).toBe(false);
      for (const action of actionsOf(statement)) expect(action, where).not.toMatch(/(^|:)\*$/);
    }
  });

  it('gives each function its own role: its log group, the one secret, and only its own queues', () => {
    const roles = new Set(FUNCTIONS.map((name) => refOf(fn(template, name).Role)));
    expect(roles.size, 'one role per function').toBe(FUNCTIONS.length);
    for (const name of FUNCTIONS) {
      const statements = functionStatements(template, functionId(template, name));
      const actions = statements.flatMap(actionsOf).sort();
      const logs = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('logs:')));
      expect(logs, name).toHaveLength(1);
      expect(actionsOf(logs[0]!).sort(), name).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
      const logGroup = resource(template, refOf(logs[0]!.Resource)!, 'AWS::Logs::LogGroup');
      expect(logGroup.Properties.LogGroupName, name).toBe(`/aws/lambda/perkamo-lambda-dev-${name}`);

      const secret = statements.filter((s) => actionsOf(s).includes('secretsmanager:GetSecretValue'));
      expect(secret, name).toHaveLength(1);
      expect(actionsOf(secret[0]!), name).toEqual(['secretsmanager:GetSecretValue']);
      expect(asArray(secret[0]!.Resource as unknown)).toHaveLength(1);
      expect(text(secret[0]!.Resource), name).toBe('arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:perkamo/dev/secret-key-??????');
      expect(actions.filter((a) => a.startsWith('kms:')), `${name}: no KMS without kmsKeyArn`).toEqual([]);
      expect(actions.filter((a) => a.startsWith('ssm:')), name).toEqual([]);

      const receive = statements.filter((s) => actionsOf(s).includes('sqs:ReceiveMessage'));
      const send = statements.filter((s) => actionsOf(s).includes('sqs:SendMessage'));
      const ownQueue = { batch: 'EventsQueue', identify: 'IdentifyQueue' } as Record<string, string>;
      if (ownQueue[name]) {
        expect(receive, name).toHaveLength(1);
        expect(actionsOf(receive[0]!).sort()).toEqual(['sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ReceiveMessage']);
        expect(refOf(receive[0]!.Resource), name).toBe(ownQueue[name]);
      } else {
        expect(receive, name).toEqual([]);
      }
      if (name === 'emit' || name === 'identify') {
        expect(send.map((s) => refOf(s.Resource)), name).toEqual(['EventBridgeDeadLetterQueue']);
      } else {
        expect(send, name).toEqual([]);
      }
      const known = new Set(['logs:CreateLogStream', 'logs:PutLogEvents', 'secretsmanager:GetSecretValue', 'sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:SendMessage', ...XRAY_ACTIONS]);
      expect(actions.filter((a) => !known.has(a)), name).toEqual([]);
    }
    expect(template.Resources.IamRoleLambdaExecution, 'no shared default role').toBeUndefined();
  });

  it('zips each function with only its bundle and source map, byte for byte the build output', () => {
    for (const name of FUNCTIONS) {
      const entries = readZip(join(out, `${name}.zip`));
      expect(entries.map((e) => e.name).sort(), name).toEqual([`dist/functions/${name}/index.mjs`, `dist/functions/${name}/index.mjs.map`]);
      for (const entry of entries) expect(entry.data().equals(readFileSync(join(dir, entry.name))), entry.name).toBe(true);
    }
  });

  it('zips the layer with exactly otel-init.mjs, otel-export.mjs and an executable perkamo-otel-handler at its root (/opt)', () => {
    const entries = readZip(join(out, 'otel.zip'));
    expect(entries.map((e) => e.name).sort()).toEqual(['otel-export.mjs', 'otel-init.mjs', 'perkamo-otel-handler']);
    for (const entry of entries) expect(entry.data().equals(readFileSync(join(dir, 'dist/layers/otel', entry.name))), entry.name).toBe(true);
    const handler = entries.find((e) => e.name === 'perkamo-otel-handler')!;
    expect(handler.mode & 0o111, 'perkamo-otel-handler is executable').not.toBe(0);
    expect(handler.data().toString('utf8')).toMatch(/^#!/);
  });
});

describe('serverless package --param fifo=true, jwtIssuer/jwtAudience, kmsKeyArn, secretArn, eventBus', () => {
  it('packages offline too', () => {
    expect(variantRun.code).toBe(0);
    expect(recorder.requests).toEqual([]);
  });

  it('makes both queues and their DLQs FIFO; the EventBridge DLQ stays standard', () => {
    for (const id of ['EventsQueue', 'EventsDeadLetterQueue', 'IdentifyQueue', 'IdentifyDeadLetterQueue']) {
      const q = resource(variant, id, 'AWS::SQS::Queue').Properties;
      expect(q.FifoQueue, id).toBe(true);
      expect(q.QueueName, id).toMatch(/^perkamo-lambda-prod-.+\.fifo$/);
    }
    expect(resource(variant, 'EventsQueue').Properties.ContentBasedDeduplication).toBe(true);
    expect(resource(variant, 'EventBridgeDeadLetterQueue').Properties.FifoQueue).toBeUndefined();
    expect(resource(variant, 'EventsQueue').Properties.RedrivePolicy.maxReceiveCount).toBe(5);
  });

  it('alarms notify alarmTopicArn (alarm and recovery), the queue age at alarmQueueAgeSeconds; HTTP throttling from its parameters', () => {
    const alarms = resourcesOfType(variant, 'AWS::CloudWatch::Alarm').map(([, r]) => r.Properties);
    expect(alarms.length).toBe(5 + 2 * FUNCTIONS.length);
    for (const a of alarms) {
      expect(a.AlarmActions).toEqual(['arn:aws:sns:eu-central-1:123456789012:perkamo-ops']);
      expect(a.OKActions).toEqual(['arn:aws:sns:eu-central-1:123456789012:perkamo-ops']);
    }
    expect(alarms.filter((a) => a.MetricName === 'ApproximateAgeOfOldestMessage').map((a) => a.Threshold)).toEqual([300, 300]);
    const stage = resource(variant, 'HttpApiStage').Properties;
    expect(stage.DefaultRouteSettings).toMatchObject({ ThrottlingRateLimit: 50, ThrottlingBurstLimit: 75 });
  });

  it('logLevel=DEBUG: Lambda filters at DEBUG and the functions log at debug', () => {
    for (const name of FUNCTIONS) {
      expect(fn(variant, name).LoggingConfig.ApplicationLogLevel, name).toBe('DEBUG');
      expect(env(variant, name).LOG_LEVEL, name).toBe('debug');
    }
  });

  it('capacity parameters: maximumConcurrency 10, PERKAMO_CONCURRENCY 2, reserved concurrency 25 on every function', () => {
    for (const name of ['batch', 'identify'] as const) expect(eventSourceMapping(variant, name).ScalingConfig, name).toEqual({ MaximumConcurrency: 10 });
    for (const name of FUNCTIONS) {
      expect(env(variant, name).PERKAMO_CONCURRENCY, name).toBe('2');
      expect(fn(variant, name).ReservedConcurrentExecutions, name).toBe(25);
    }
  });

  it('reads FIFO batches of at most 10 with no batching window, and scales the visibility timeout with the timeout', () => {
    const batch = eventSourceMapping(variant, 'batch');
    expect(batch.BatchSize).toBe(10);
    expect(batch.MaximumBatchingWindowInSeconds).toBeUndefined();
    expect(batch.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
    const identify = eventSourceMapping(variant, 'identify');
    expect(identify.BatchSize).toBeLessThanOrEqual(10);
    expect(identify.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
    expect(fn(variant, 'batch').Timeout).toBe(20);
    for (const name of FUNCTIONS) {
      expect(fn(variant, name).Runtime, name).toBe('nodejs22.x');
      expect(env(variant, name).NODE_OPTIONS, name).toBe('--enable-source-maps --import /opt/otel-init.mjs');
    }
    expect(resource(variant, 'EventsQueue').Properties.VisibilityTimeout).toBeGreaterThanOrEqual(6 * 20);
  });

  it("puts API Gateway's JWT authorizer on the functions' routes, with their scopes, and lets the functions trust its claims", () => {
    const authorizers = resourcesOfType(variant, 'AWS::ApiGatewayV2::Authorizer');
    expect(authorizers).toHaveLength(1);
    const [authorizerId, authorizer] = authorizers[0]!;
    expect(authorizer.Properties).toMatchObject({
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: { Issuer: 'https://login.example.com/', Audience: ['https://perkamo-api.example.com'] },
    });
    const r = routes(variant);
    // Each route's scopes are its operation's (the function list): the gateway checks what the function would.
    const scopes = Object.fromEntries(functions.map((operation) => [operation.route, operation.scope === undefined ? undefined : [operation.scope]]));
    expect(scopes).toMatchObject({ 'POST /events': ['perkamo:emit'], 'GET /customer': ['perkamo:read'], 'POST /stream-token': undefined });
    for (const [key, expected] of Object.entries(scopes)) {
      const route = r.get(key)!;
      expect(route.AuthorizationType, key).toBe('JWT');
      expect(refOf(route.AuthorizerId), key).toBe(authorizerId);
      expect(route.AuthorizationScopes, key).toEqual(expected);
    }
    for (const preflight of ['OPTIONS /stream-token', 'OPTIONS /customer']) expect(r.get(preflight)!.AuthorizationType, 'preflights carry no token').toBeUndefined();
    for (const name of FUNCTIONS) expect(env(variant, name).AUTH_TRUST_API_GATEWAY, name).toBe('true');
  });

  it('scopes the secret to the exact ARN given, and kms:Decrypt to the one key through Secrets Manager', () => {
    for (const name of FUNCTIONS) {
      expect(env(variant, name).PERKAMO_SECRET_ARN, name).toBe(SECRET_ARN);
      const statements = functionStatements(variant, functionId(variant, name));
      const secret = statements.filter((s) => actionsOf(s).includes('secretsmanager:GetSecretValue'));
      expect(secret.map((s) => s.Resource), name).toEqual([SECRET_ARN]);
      const kms = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('kms:')));
      expect(kms, name).toHaveLength(1);
      expect(actionsOf(kms[0]!)).toEqual(['kms:Decrypt']);
      expect(kms[0]!.Resource).toBe(KMS_KEY);
      expect(text(kms[0]!.Condition!.StringEquals['kms:ViaService'])).toBe('secretsmanager.${AWS::Region}.amazonaws.com');
      expect(asArray(resource(variant, functionId(variant, name)).DependsOn), `${name} waits for the KMS policy`).toContain('PerkamoSecretKmsPolicy');
    }
    for (const { where, statement } of policyStatements(variant)) if (!isXrayStatement(statement)) expect(isWildcard(statement.Resource), where).toBe(false);
  });

  it('subscribes to the given bus and source, and admits exactly those rules to the DLQ', () => {
    for (const name of ['emit', 'identify'] as const) {
      const r = rule(variant, name);
      expect(r.EventBusName).toBe('shop-events');
      expect(r.EventPattern.source).toEqual(['com.example.shop']);
    }
    expect(resourcesOfType(variant, 'AWS::Events::EventBus'), 'an existing bus (ARN) is not created').toEqual([]);
    const policy = resourcesOfType(variant, 'AWS::SQS::QueuePolicy')[0]![1].Properties;
    const sources = asArray(policy.PolicyDocument.Statement[0].Condition.ArnEquals['aws:SourceArn'] as unknown[]).map(text);
    expect(sources).toEqual([
      'arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:rule/shop-events/perkamo-lambda-prod-emit',
      'arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:rule/shop-events/perkamo-lambda-prod-identify',
    ]);
  });
});

describe('serverless package --param secretParameter (SSM) and kmsKeyArn', () => {
  it('reads the key from the one SSM parameter, and decrypts only through SSM', () => {
    expect(ssmRun.code).toBe(0);
    for (const name of FUNCTIONS) {
      expect(env(ssm, name).PERKAMO_SECRET_PARAMETER, name).toBe('/perkamo/dev/secret-key');
      expect(env(ssm, name).PERKAMO_SECRET_ARN, name).toBe('');
      const statements = functionStatements(ssm, functionId(ssm, name));
      const actions = statements.flatMap(actionsOf);
      expect(actions.filter((a) => a.startsWith('secretsmanager:')), name).toEqual([]);
      const parameter = statements.filter((s) => actionsOf(s).includes('ssm:GetParameter'));
      expect(parameter.map((s) => text(s.Resource)), name).toEqual(['arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/perkamo/dev/secret-key']);
      const kms = statements.filter((s) => actionsOf(s).includes('kms:Decrypt'));
      expect(text(kms[0]!.Condition!.StringEquals['kms:ViaService']), name).toBe('ssm.${AWS::Region}.amazonaws.com');
    }
    expect(recorder.requests).toEqual([]);
  });

  it('eventProducers: the bus policy denies events:PutEvents on the stack\'s bus to every principal but them', () => {
    const policies = resourcesOfType(ssm, 'AWS::Events::EventBusPolicy');
    expect(policies).toHaveLength(1);
    const [, policy] = policies[0]!;
    const busId = resourcesOfType(ssm, 'AWS::Events::EventBus')[0]![0];
    expect(asArray(policy.DependsOn as unknown[])).toContain(busId);
    expect(policy.Properties.EventBusName).toBe('perkamo-lambda-dev');
    expect(policy.Properties.Statement).toMatchObject({ Effect: 'Deny', Principal: '*', Action: 'events:PutEvents' });
    expect(text(policy.Properties.Statement.Resource)).toBe('arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/perkamo-lambda-dev');
    expect(policy.Properties.Statement.Condition).toEqual({ ArnNotLike: { 'aws:PrincipalArn': PRODUCERS } });
  });
});

/** The OTel variables of a function's environment. */
function otelEnv(t: Template, name: FunctionName): Record<string, string> {
  return Object.fromEntries(Object.entries(env(t, name)).filter(([key]) => key.startsWith('OTEL_') || key.startsWith('PERKAMO_OTEL_')));
}

/** Every function's X-Ray statements (its role's, and the policies that role attaches). */
const xrayStatements = (t: Template, name: FunctionName) => functionStatements(t, functionId(t, name)).filter(isXrayStatement);

/** No X-Ray anywhere: no active tracing, no X-Ray statement, no X-Ray policy, no Transaction Search. */
function expectNoXray(t: Template): void {
  for (const name of FUNCTIONS) {
    expect(fn(t, name).TracingConfig, name).toBeUndefined();
    expect(xrayStatements(t, name), name).toEqual([]);
  }
  expect(policyStatements(t).filter(({ statement }) => isXrayStatement(statement))).toEqual([]);
  for (const [id, r] of resourcesOfType(t, 'AWS::IAM::Role')) expect(r.Properties.ManagedPolicyArns, id).toBeUndefined();
  expect(Object.values(t.Resources).filter((r) => /^AWS::XRay::|^AWS::IAM::ManagedPolicy$|^AWS::Logs::ResourcePolicy$/.test(r.Type))).toEqual([]);
}

describe('traces=xray, the default: CloudWatch, through the X-Ray OTLP endpoint of the region', () => {
  it("sends every function's spans to its region's X-Ray endpoint (a plain string), W3C and Lambda's X-Ray header as parents", () => {
    for (const name of FUNCTIONS) {
      expect(otelEnv(template, name), name).toEqual({
        OTEL_SERVICE_NAME: 'perkamo-lambda',
        OTEL_TRACES_EXPORTER: 'otlp',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://xray.eu-central-1.amazonaws.com/v1/traces',
        OTEL_EXPORTER_OTLP_ENDPOINT: '',
        OTEL_EXPORTER_OTLP_HEADERS: '',
        OTEL_PROPAGATORS: 'tracecontext,baggage,xray-lambda',
      });
    }
    // The layer signs for that host with SigV4 on its own (no PERKAMO_OTEL_SIGV4), for that region.
    expect(xrayEndpointRegion(env(template, 'emit').OTEL_EXPORTER_OTLP_TRACES_ENDPOINT!)).toBe('eu-central-1');
  });

  it("follows the stack's region: --param region=us-west-2, and China's domain for --region cn-north-1", () => {
    for (const name of FUNCTIONS) {
      expect(env(search, name).OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, name).toBe('https://xray.us-west-2.amazonaws.com/v1/traces');
      expect(env(china, name).OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, name).toBe('https://xray.cn-north-1.amazonaws.com.cn/v1/traces');
    }
    expect(xrayEndpointRegion(env(search, 'emit').OTEL_EXPORTER_OTLP_TRACES_ENDPOINT!)).toBe('us-west-2');
    expect(xrayEndpointRegion(env(china, 'emit').OTEL_EXPORTER_OTLP_TRACES_ENDPOINT!)).toBe('cn-north-1');
  });

  it("turns Lambda's active tracing on for every function", () => {
    for (const t of [template, search, china]) for (const name of FUNCTIONS) expect(fn(t, name).TracingConfig, name).toEqual({ Mode: 'Active' });
  });

  it("gives every function's role exactly one X-Ray statement: PutSpans, PutTraceSegments, PutTelemetryRecords on \"*\", attached before the function is created", () => {
    const policy = resource(template, 'XRayTracesPolicy', 'AWS::IAM::ManagedPolicy').Properties;
    expect(policy.PolicyDocument.Statement).toEqual([
      { Sid: 'Traces', Effect: 'Allow', Action: ['xray:PutSpans', 'xray:PutTraceSegments', 'xray:PutTelemetryRecords'], Resource: '*' },
    ]);
    // Attached from the role (not from the policy's side), so the role — and the function, whose
    // Role is the role's ARN — is created after it: Lambda refuses an actively traced function whose
    // role may not call xray:PutTraceSegments.
    expect(policy.Roles).toBeUndefined();
    for (const name of FUNCTIONS) {
      const roleId = refOf(fn(template, name).Role)!;
      expect(asArray(resource(template, roleId, 'AWS::IAM::Role').Properties.ManagedPolicyArns as unknown[]).map(refOf), name).toEqual(['XRayTracesPolicy']);
      const statements = xrayStatements(template, name);
      expect(statements, name).toHaveLength(1);
      expect([...actionsOf(statements[0]!)].sort(), name).toEqual(XRAY_ACTIONS);
      expect(statements[0]!.Resource, name).toBe('*');
      expect(statements[0]!.Condition, name).toBeUndefined();
    }
    // The only Resource "*" of the stack.
    const wildcards = policyStatements(template).filter(({ statement }) => statement.Effect === 'Allow' && isWildcard(statement.Resource));
    expect(wildcards.map(({ where }) => where)).toEqual(['XRayTracesPolicy/policy']);
  });

  it('leaves Transaction Search alone unless transactionSearch=true', () => {
    for (const t of [template, china]) {
      expect(resourcesOfType(t, 'AWS::XRay::TransactionSearchConfig')).toEqual([]);
      expect(resourcesOfType(t, 'AWS::Logs::ResourcePolicy')).toEqual([]);
    }
  });
});

describe('transactionSearch=true: CloudWatch Transaction Search on from this stack', () => {
  it('creates the Transaction Search configuration with IndexingPercentage, after the Logs resource policy; both retained', () => {
    const configs = resourcesOfType(search, 'AWS::XRay::TransactionSearchConfig');
    expect(configs.map(([id]) => id)).toEqual(['TransactionSearchConfig']);
    const [, config] = configs[0]!;
    expect(config.Properties).toEqual({ IndexingPercentage: 5 });
    expect(asArray(config.DependsOn)).toEqual(['TransactionSearchLogsPolicy']);
    expect((config as Props).DeletionPolicy).toBe('Retain');
    expect((resource(search, 'TransactionSearchLogsPolicy') as Props).DeletionPolicy).toBe('Retain');
  });

  it("lets X-Ray of this account and region write the aws/spans and /aws/application-signals/data log groups (AWS's policy)", () => {
    const policies = resourcesOfType(search, 'AWS::Logs::ResourcePolicy');
    expect(policies.map(([id]) => id)).toEqual(['TransactionSearchLogsPolicy']);
    const { PolicyName, PolicyDocument } = policies[0]![1].Properties;
    expect(PolicyName).toBe('TransactionSearchAccess');
    // A JSON string, its ${AWS::…} filled in by Fn::Sub.
    expect(JSON.parse(text(PolicyDocument))).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'TransactionSearchXRayAccess',
          Effect: 'Allow',
          Principal: { Service: 'xray.amazonaws.com' },
          Action: 'logs:PutLogEvents',
          Resource: [
            'arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:aws/spans:*',
            'arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/application-signals/data:*',
          ],
          Condition: {
            ArnLike: { 'aws:SourceArn': 'arn:${AWS::Partition}:xray:${AWS::Region}:${AWS::AccountId}:*' },
            StringEquals: { 'aws:SourceAccount': '${AWS::AccountId}' },
          },
        },
      ],
    });
  });

  it('changes nothing else: the functions still trace to X-Ray as by default', () => {
    for (const name of FUNCTIONS) {
      expect(fn(search, name).TracingConfig, name).toEqual({ Mode: 'Active' });
      expect(xrayStatements(search, name).flatMap(actionsOf).sort(), name).toEqual(XRAY_ACTIONS);
    }
  });
});

describe('traces=otlp: any OTLP/HTTP backend (Honeycomb here)', () => {
  it('exports to otelExporterEndpoint with otelExporterHeaders, W3C propagation only', () => {
    for (const name of FUNCTIONS) {
      expect(otelEnv(otlp, name), name).toEqual({
        OTEL_SERVICE_NAME: 'perkamo-lambda',
        OTEL_TRACES_EXPORTER: 'otlp',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: '',
        OTEL_EXPORTER_OTLP_ENDPOINT: 'https://api.honeycomb.io',
        OTEL_EXPORTER_OTLP_HEADERS: `x-honeycomb-team=${HONEYCOMB_KEY}`,
        OTEL_PROPAGATORS: '',
      });
    }
    expect(xrayEndpointRegion('https://api.honeycomb.io/v1/traces'), 'the layer does not sign for it').toBeUndefined();
  });

  it('has no active tracing and no X-Ray statement', () => expectNoXray(otlp));
});

describe('traces=none: no export', () => {
  it('sets OTEL_TRACES_EXPORTER=none and no endpoint', () => {
    for (const name of FUNCTIONS) {
      expect(otelEnv(none, name), name).toEqual({
        OTEL_SERVICE_NAME: 'perkamo-lambda',
        OTEL_TRACES_EXPORTER: 'none',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: '',
        OTEL_EXPORTER_OTLP_ENDPOINT: '',
        OTEL_EXPORTER_OTLP_HEADERS: '',
        OTEL_PROPAGATORS: '',
      });
    }
  });

  it('has no active tracing and no X-Ray statement', () => expectNoXray(none));
});

describe('serverless package with bad traces parameters', () => {
  it('traces=otlp: otelExporterEndpoint is required, a header entry must be name=value (its value never printed), transactionSearch needs xray', () => {
    expect(invalidOtlp.code).not.toBe(0);
    expect(invalidOtlp.output).toContain('param "otelExporterEndpoint": required with traces=otlp');
    expect(invalidOtlp.output).toContain('param "otelExporterHeaders": entry 2 is not name=value');
    expect(invalidOtlp.output).toContain('param "transactionSearch": applies to traces=xray (traces is otlp)');
    expect(invalidOtlp.output).not.toContain(HONEYCOMB_KEY);
  });

  it('traces=xray: otelExporterEndpoint and otelExporterHeaders apply to otlp only; transactionSearchIndexingPercentage is 0–100', () => {
    expect(invalidXray.code).not.toBe(0);
    expect(invalidXray.output).toContain('param "otelExporterEndpoint": applies to traces=otlp (traces is xray)');
    expect(invalidXray.output).toContain('param "otelExporterHeaders": applies to traces=otlp (traces is xray)');
    expect(invalidXray.output).toContain('param "transactionSearchIndexingPercentage": "101" is not a whole number from 0 to 100');
    expect(invalidXray.output).not.toContain(HONEYCOMB_KEY);
  });

  it('an unknown traces value: one line listing the three', () => {
    expect(invalidTraces.code).not.toBe(0);
    expect(invalidTraces.output).toContain('param "traces": "zipkin" is not one of xray, otlp, none');
    expect(invalidTraces.output.match(/param "/g)).toHaveLength(1);
  });

  it('writes nothing', () => {
    for (const out of ['.serverless-invalid-otlp', '.serverless-invalid-xray', '.serverless-invalid-traces']) {
      expect(existsSync(join(dir, out, 'cloudformation-template-update-stack.json')), out).toBe(false);
    }
  });
});

describe('serverless package --stage local (the invoke-local stage)', () => {
  it('is refused: its functions read the server key from the shell, which a deployed function has not', () => {
    expect(localRun.code).not.toBe(0);
    expect(localRun.output).toContain('These functions could not start with the parameters of stage "local"');
    expect(localRun.output).toContain('PERKAMO_SECRET_KEY: the Perkamo server key is not configured');
  });
});

describe('serverless package with bad parameters', () => {
  it('fails before packaging, naming every bad parameter', () => {
    expect(invalid.code).not.toBe(0);
    expect(invalid.output).toContain('param "fifoBatchSize"');
    expect(invalid.output).toContain('param "jwtAudience"');
    expect(invalid.output).toContain('param "logRetentionInDays"');
    expect(invalid.output).toContain('param "runtime": "nodejs20.x" is not a Lambda runtime');
    expect(invalid.output).toContain('param "logLevel": "verbose" is not one of trace, debug, info, warn, error, fatal');
    // The alarms' parameters are refused in the same list, not in a second run.
    expect(invalid.output).toContain('param "alarmQueueAgeSeconds": "5" is not a whole number from 60 to 1209600');
    expect(invalid.output).toContain('param "eventProducers": applies to the bus this stack creates; with eventBus "default" set the policy on that bus yourself');
    expect(invalid.output).toContain(
      'param "queueMaximumConcurrency": the two queues may make 40 Perkamo calls at once (2 × 5 batches × perkamoConcurrency 4), above perkamoMaxConcurrentCalls 10; lower queueMaximumConcurrency to 2 or perkamoConcurrency',
    );
    expect(existsSync(join(dir, '.serverless-invalid', 'cloudformation-template-update-stack.json'))).toBe(false);
  });

  it("says it in one short line per parameter: none of osls's variable-resolution text, each line once", () => {
    expect(invalid.output).toContain('serverless.yml parameters refused (stage "dev"), nothing done:\n  - param "');
    expect(invalid.output).not.toMatch(/Cannot resolve|Variables resolution errored|Returned JS function errored/);
    const lines = invalid.output.split('\n').filter((line) => line.startsWith('  - param "'));
    expect(lines.length).toBeGreaterThanOrEqual(9);
    expect(new Set(lines).size).toBe(lines.length);
    expect(invalid.output).toContain("Fix them under params.dev in serverless.yml or with --param 'name=value'");
  });

  it('`serverless print` (and remove, info, logs) goes on past a parameter the service does not have, listed once as a warning: a stage whose parameters went stale stays removable', () => {
    expect(printed.code, printed.output).toBe(0);
    expect(printed.output).toContain('serverless.yml parameters with problems (stage "dev"); `serverless print` goes on, package and deploy would stop:\n  - param "authJwksURL": is not a parameter of this service — did you mean authJwksUrl?');
    expect(printed.output.match(/parameters with problems/g)).toHaveLength(1);
    expect(printed.output).toMatch(/^service: perkamo-lambda$/m);
  });

  it('refuses a misspelled parameter with the name it meant, and a placeholder value copied from the docs', () => {
    expect(invalid.output).toContain('param "authJwksURL": is not a parameter of this service — did you mean authJwksUrl?');
    expect(invalid.output).toContain('param "browserKey": "pk_live_…" is a placeholder from the docs: put the real value there');
  });
});
