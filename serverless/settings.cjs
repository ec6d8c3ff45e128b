'use strict';
// Validated deployment settings for serverless.yml, derived from the stage parameters.
//
// serverless.yml reads this as `custom.perkamo: ${file(./serverless/settings.cjs)}`. The `params:`
// block in serverless.yml holds every parameter with its default; a stage overrides them under
// `params.<stage>` or on the command line (`--param 'batchSize=50'`). What YAML cannot do is done
// here, with one clear error per bad value (so `serverless package` fails before it builds a
// template that CloudFormation would refuse half-way through a deploy):
//   - numbers: `--param` values arrive as strings; they are checked and turned into integers;
//   - switches: the JWT authorizer is on when `jwtIssuer` and `jwtAudience` are set; the secret
//     comes from Secrets Manager (`secretArn`, the default) or SSM (`secretParameter`); the KMS
//     statement exists only when `kmsKeyArn` is set; `fifo` turns both queues into FIFO queues;
//     `traces` picks where spans go (CloudWatch's X-Ray endpoint of the region, any OTLP backend,
//     nowhere) and `transactionSearch` turns CloudWatch Transaction Search on from this stack;
//   - arithmetic: the queues' visibility timeout is six times the function timeout plus the
//     batching window, as AWS recommends for Lambda event sources;
//   - the exact IAM resource of the one secret (or parameter) the functions may read;
//   - the EventBridge rule patterns and the rule ARNs the dead-letter queue policy admits.
// docs/deploy.md documents every parameter. Nothing here calls AWS.

// The Lambda Node runtimes the functions and the layer are tested on (the harness suite runs both).
const RUNTIMES = ['nodejs24.x', 'nodejs22.x'];
const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];
const SM_ARN = /^arn:aws(?:-[a-z]+)*:secretsmanager:[a-z0-9-]+:\d{12}:secret:([A-Za-z0-9/_+=.@-]+)$/;
const SM_NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;
const SSM_ARN = /^arn:aws(?:-[a-z]+)*:ssm:[a-z0-9-]+:\d{12}:parameter\/[A-Za-z0-9_./-]+$/;
const SSM_NAME = /^\/?[A-Za-z0-9_.-]+(?:\/[A-Za-z0-9_.-]+)*$/;
const KMS_KEY_ARN = /^arn:aws(?:-[a-z]+)*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/;
const EVENT_BUS_ARN = /^arn:aws(?:-[a-z]+)*:events:[a-z0-9-]+:\d{12}:event-bus\/([A-Za-z0-9/_.-]+)$/;
const EVENT_BUS_NAME = /^[A-Za-z0-9/_.-]{1,256}$/;
const DETAIL_TYPE = /^[^\s,]{1,128}$/;
const HTTPS_URL = /^https:\/\/[^\s]+$/;
const HTTP_URL = /^https?:\/\/[^\s/?#]+[^\s]*$/;
const REGION = /^[a-z]{2,4}(?:-[a-z]+)+-\d+$/;
// An OTEL_EXPORTER_OTLP_HEADERS entry: an HTTP header name, `=`, a value (no comma: it separates entries).
const OTLP_HEADER = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+=[^,]+$/;
const TRACES = ['xray', 'otlp', 'none'];
// Where Lambda unpacks the layer's init (the layer's content is dist/layers/otel: esbuild.config.mjs).
const LAYER_INIT = '/opt/otel-init.mjs';

const { normalizedName, refuseParameters } = require('./osls.cjs');
const { unknownAndPlaceholders } = require('./params.cjs');
const { managedInstancesSettings } = require('./managed-instances.cjs');
const { alarmSettings } = require('./alarms.cjs');

module.exports = async ({ options, resolveConfigurationProperty, resolveVariable }) => {
  const raw = async (name) => {
    const value = await resolveVariable(`param:${name}`);
    if (value === null || value === undefined) return '';
    return typeof value === 'string' ? value.trim() : value;
  };
  const problems = [];
  const problem = (name, message) => problems.push(`param "${name}": ${message}`);

  const int = async (name, min, max) => {
    const value = await raw(name);
    const number = typeof value === 'number' ? value : /^\d{1,9}$/.test(String(value)) ? Number(value) : NaN;
    if (!(Number.isInteger(number) && number >= min && number <= max)) {
      problem(name, `${JSON.stringify(value)} is not a whole number from ${min} to ${max}`);
      return min;
    }
    return number;
  };
  const bool = async (name) => {
    const value = await raw(name);
    if (value === true || value === false) return value;
    const lower = String(value).toLowerCase();
    if (lower === 'true' || lower === '1') return true;
    if (lower === 'false' || lower === '0' || lower === '') return false;
    problem(name, `${JSON.stringify(value)} is not true or false`);
    return false;
  };
  const list = async (name, pattern) => {
    const value = await raw(name);
    const items = (Array.isArray(value) ? value : String(value).split(',')).map((s) => String(s).trim()).filter(Boolean);
    for (const item of items) if (!pattern.test(item)) problem(name, `${JSON.stringify(item)} is not a valid entry`);
    return items;
  };

  const service = await resolveVariable('self:service');
  const stage = await resolveVariable('sls:stage');

  // --- Function basics ---------------------------------------------------------------------------
  const runtime = String(await raw('runtime'));
  if (!RUNTIMES.includes(runtime)) problem('runtime', `${JSON.stringify(runtime)} is not a Lambda runtime the functions are built and tested for (${RUNTIMES.join(', ')})`);
  const memorySize = await int('memorySize', 128, 10240);
  const timeout = await int('timeout', 3, 900);
  const logRetentionInDays = await int('logRetentionInDays', 1, 3653);
  // The layer's init is loaded by NODE_OPTIONS itself, not through its exec wrapper: the wrapper is a
  // bash process before node, ≈ 5 ms of every Init Duration (bench/RESULTS.md). The wrapper stays in
  // the layer for teams that attach it by hand. Source maps are off by default: Node parses the
  // bundle's source map at load, 4–17 ms of every Init Duration.
  const nodeOptions = [(await bool('sourceMaps')) && '--enable-source-maps', `--import ${LAYER_INIT}`].filter(Boolean).join(' ');
  if (!LOG_RETENTION_DAYS.includes(logRetentionInDays)) {
    problem('logRetentionInDays', `${logRetentionInDays} is not a retention CloudWatch Logs offers (${LOG_RETENTION_DAYS.join(', ')})`);
  }

  // --- Queues --------------------------------------------------------------------------------------
  const fifo = await bool('fifo');
  const maxReceiveCount = await int('maxReceiveCount', 1, 1000);
  let batchSize;
  let maximumBatchingWindow;
  if (fifo) {
    // FIFO event sources take at most 10 messages and no batching window; batchSize and
    // maximumBatchingWindow apply to the standard queue only.
    batchSize = await int('fifoBatchSize', 1, 10);
    maximumBatchingWindow = 0;
  } else {
    batchSize = await int('batchSize', 1, 10000);
    maximumBatchingWindow = await int('maximumBatchingWindow', 0, 300);
    if (batchSize > 10 && maximumBatchingWindow < 1) {
      problem('maximumBatchingWindow', `must be at least 1 second when batchSize (${batchSize}) is above 10 (an AWS rule for SQS event sources)`);
    }
  }
  // The identify queue has no batching window (identify calls are not batched), so at most 10.
  const identifyBatchSize = await int('identifyBatchSize', 1, 10);
  // AWS: at least six times the function timeout, plus the batching window.
  const visibilityTimeout = 6 * timeout + maximumBatchingWindow;
  if (visibilityTimeout > 43200) problem('timeout', `six times it (${visibilityTimeout} s) exceeds the SQS visibility timeout limit of 43200 s`);

  // --- Capacity: what the queues may send Perkamo at once --------------------------------------
  // Each SQS event source runs at most `queueMaximumConcurrency` batches at once (Lambda's
  // maximumConcurrency; without it a standard queue scales to 1,000), and each batch makes at most
  // `perkamoConcurrency` Perkamo calls at once. Their product, for both queues, is the most calls
  // the queues can have in flight: docs/deploy.md has the model and a table.
  const perkamoConcurrency = await int('perkamoConcurrency', 1, 32);
  const queueMaximumConcurrency = await int('queueMaximumConcurrency', 2, 1000);
  const reservedRaw = await raw('reservedConcurrency');
  const reservedConcurrency = reservedRaw === '' ? undefined : await int('reservedConcurrency', 0, 10000);
  const queueCalls = 2 * queueMaximumConcurrency * perkamoConcurrency;
  const perkamoMaxConcurrentCalls = await raw('perkamoMaxConcurrentCalls');
  if (perkamoMaxConcurrentCalls !== '') {
    const limit = await int('perkamoMaxConcurrentCalls', 1, 100000);
    if (queueCalls > limit) {
      problem(
        'queueMaximumConcurrency',
        `the two queues may make ${queueCalls} Perkamo calls at once (2 × ${queueMaximumConcurrency} batches × perkamoConcurrency ${perkamoConcurrency}), above perkamoMaxConcurrentCalls ${limit}; lower queueMaximumConcurrency to ${Math.max(2, Math.floor(limit / (2 * perkamoConcurrency)))} or perkamoConcurrency`,
      );
    }
  }

  // --- Lambda Managed Instances: the functions named run many invocations per environment ---------
  const managedInstances = await managedInstancesSettings({ raw, int, list, problem });
  const alarms = await alarmSettings({ raw, int, problem });

  // --- Logs: Lambda's JSON log format, its level filter set from the functions' own level ----------
  // Lambda's application log levels, which the functions' LOG_LEVEL takes as well (src/lambda/logger.ts).
  const LOG_LEVELS = Object.keys(require('../src/lambda/log-levels.json'));
  const logLevel = String(await raw('logLevel')).toLowerCase();
  if (!LOG_LEVELS.includes(logLevel)) problem('logLevel', `${JSON.stringify(logLevel)} is not one of ${LOG_LEVELS.join(', ')}`);

  // --- Traces: where the functions' spans go (docs/deploy.md, "Traces") ----------------------------
  // xray (default): CloudWatch's OTLP traces endpoint of the stack's region, which the layer signs
  // with SigV4 (the function's own credentials) because of its host; Lambda's active tracing on, and
  // `xray-lambda` among the propagators, so that an invocation whose trigger carries no trace
  // context continues Lambda's own X-Ray segment. otlp: any OTLP/HTTP backend, W3C propagation
  // only. none: no export. The variables a mode does not use are '' (the layer reads '' as unset).
  const traces = String(await raw('traces')).toLowerCase();
  if (!TRACES.includes(traces)) problem('traces', `${JSON.stringify(traces)} is not one of ${TRACES.join(', ')}`);
  const otelExporterEndpoint = String(await raw('otelExporterEndpoint'));
  const otelExporterHeaders = String(await raw('otelExporterHeaders'));
  if (traces === 'otlp') {
    if (otelExporterEndpoint === '') {
      problem('otelExporterEndpoint', 'required with traces=otlp: the OTLP/HTTP base URL of your backend or collector (/v1/traces is appended), e.g. https://api.honeycomb.io, or http://localhost:4318 for a collector extension');
    } else if (!HTTP_URL.test(otelExporterEndpoint)) {
      problem('otelExporterEndpoint', `${JSON.stringify(otelExporterEndpoint)} is not an http(s) URL`);
    }
    // Never echo a value: exporter headers usually carry an API key.
    otelExporterHeaders.split(',').forEach((entry, i) => {
      if (entry.trim() !== '' && !OTLP_HEADER.test(entry.trim())) problem('otelExporterHeaders', `entry ${i + 1} is not name=value (format: key=value,key2=value2; the value is not shown here)`);
    });
  } else if (traces === 'xray' || traces === 'none') {
    if (otelExporterEndpoint !== '') problem('otelExporterEndpoint', `applies to traces=otlp (traces is ${traces})`);
    if (otelExporterHeaders !== '') problem('otelExporterHeaders', `applies to traces=otlp (traces is ${traces})`);
  }
  // The region as osls resolves it (--region, else provider.region, i.e. the region parameter).
  const region = String(await resolveVariable('aws:region'));
  let xrayEndpoint = '';
  if (traces === 'xray') {
    if (!REGION.test(region)) problem('region', `${JSON.stringify(region)} is not an AWS region name (traces=xray exports to that region's X-Ray endpoint)`);
    else if (/^eusc-|-iso[a-z]?-/.test(region)) problem('traces', `xray: this stack knows X-Ray's OTLP endpoint in the aws, aws-cn and aws-us-gov partitions only, not in ${region}; use traces=otlp`);
    // CloudWatch's documented form, https://xray.<region>.amazonaws.com/v1/traces; China's regions
    // have their partition's domain.
    else xrayEndpoint = `https://xray.${region}.${region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com'}/v1/traces`;
  }
  // CloudWatch Transaction Search, an account-and-region setting the X-Ray OTLP endpoint needs
  // (without it the endpoint refuses spans). On from this stack only when asked: one stack per
  // account and region may create it.
  const transactionSearch = await bool('transactionSearch');
  const indexingPercentage = await int('transactionSearchIndexingPercentage', 0, 100);
  if (transactionSearch && TRACES.includes(traces) && traces !== 'xray') problem('transactionSearch', `applies to traces=xray (traces is ${traces}): Transaction Search stores what the X-Ray endpoint receives`);
  // AWS's resource policy for Transaction Search (CloudWatch guide, "Using Transaction Search with
  // AWS CloudFormation"), as given there: X-Ray of this account and region may write the two log
  // groups it keeps spans in.
  const transactionSearchPolicy = {
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
  };

  // --- HTTP API throttling ------------------------------------------------------------------------
  const throttlingRateLimit = await int('httpThrottlingRateLimit', 1, 100000);
  const throttlingBurstLimit = await int('httpThrottlingBurstLimit', 1, 100000);

  // --- The Perkamo server key: one Secrets Manager secret (default) or one SSM parameter ----------
  const secretArnParam = await raw('secretArn');
  const secretParameter = await raw('secretParameter');
  const secret = { arn: '', parameter: '', statement: undefined, viaService: 'secretsmanager' };
  if (stage === 'local') {
    // `invoke local` only: the key comes from the shell's PERKAMO_SECRET_KEY. The statement grants
    // nothing, and packaging refuses this stage (no key source: serverless/startable.cjs).
    secret.statement = {
      Sid: 'PerkamoServerKey',
      Effect: 'Deny',
      Action: ['secretsmanager:GetSecretValue'],
      Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:perkamo/local/none' },
    };
  } else if (secretArnParam !== '' && secretParameter !== '') {
    problem('secretParameter', 'set either secretArn (Secrets Manager) or secretParameter (SSM), not both');
  } else if (secretParameter !== '') {
    secret.parameter = String(secretParameter);
    secret.viaService = 'ssm';
    let resource;
    if (SSM_ARN.test(secret.parameter)) resource = secret.parameter;
    else if (SSM_NAME.test(secret.parameter)) {
      resource = { 'Fn::Sub': `arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter/${secret.parameter.replace(/^\//, '')}` };
    } else problem('secretParameter', `${JSON.stringify(secret.parameter)} is neither an SSM parameter name nor its ARN`);
    secret.statement = { Sid: 'PerkamoServerKey', Effect: 'Allow', Action: ['ssm:GetParameter'], Resource: resource };
  } else {
    // Default: the secret named perkamo/<stage>/secret-key in the stack's account and region.
    const value = secretArnParam === '' ? `perkamo/${stage}/secret-key` : String(secretArnParam);
    secret.arn = value;
    let resource;
    const arn = SM_ARN.exec(value);
    if (arn) {
      // A complete ARN ends in the 6-character suffix Secrets Manager adds; a partial one (no
      // suffix) is matched with `-??????`, AWS's documented pattern for exactly one secret name.
      resource = /-[A-Za-z0-9]{6}$/.test(arn[1]) ? value : `${value}-??????`;
    } else if (SM_NAME.test(value)) {
      resource = { 'Fn::Sub': `arn:\${AWS::Partition}:secretsmanager:\${AWS::Region}:\${AWS::AccountId}:secret:${value}-??????` };
    } else problem('secretArn', `${JSON.stringify(value)} is neither a Secrets Manager secret ARN nor a secret name`);
    secret.statement = { Sid: 'PerkamoServerKey', Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: resource };
  }

  const kmsKeyArn = String(await raw('kmsKeyArn'));
  if (kmsKeyArn !== '' && !KMS_KEY_ARN.test(kmsKeyArn)) problem('kmsKeyArn', `${JSON.stringify(kmsKeyArn)} is not a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)`);

  // --- HTTP auth: the functions verify JWTs, or API Gateway's JWT authorizer does ----------------
  const jwtIssuer = String(await raw('jwtIssuer'));
  const jwtAudience = (await list('jwtAudience', /^[^\s,]{1,2048}$/)).join(',');
  const authJwksUrl = String(await raw('authJwksUrl'));
  let httpAuth = 'function';
  if (jwtIssuer !== '' || jwtAudience !== '') {
    httpAuth = 'gateway';
    if (jwtIssuer === '' || jwtAudience === '') problem(jwtIssuer === '' ? 'jwtIssuer' : 'jwtAudience', 'the JWT authorizer needs both jwtIssuer and jwtAudience');
    if (jwtIssuer !== '' && !HTTPS_URL.test(jwtIssuer)) problem('jwtIssuer', `${JSON.stringify(jwtIssuer)} is not an https URL (API Gateway discovers the keys at <issuer>/.well-known/openid-configuration)`);
    if (authJwksUrl !== '') problem('authJwksUrl', 'leave it unset with the JWT authorizer (jwtIssuer, jwtAudience): API Gateway verifies the tokens, the functions trust its claims');
  }

  // --- EventBridge ----------------------------------------------------------------------------------
  // A bus of the stack's own by default: on the account's default bus, anyone allowed
  // events:PutEvents there — any producer of any app — could award points to any user_id.
  const eventBus = String(await raw('eventBus')) || `${service}-${stage}`;
  let busPath = '';
  const busArn = EVENT_BUS_ARN.exec(eventBus);
  if (busArn) busPath = `${busArn[1]}/`;
  else if (!EVENT_BUS_NAME.test(eventBus)) problem('eventBus', `${JSON.stringify(eventBus)} is neither an event bus name nor its ARN`);
  else if (eventBus !== 'default') busPath = `${eventBus}/`;
  // eventProducers: only these principals may put events on the stack's own bus (an explicit Deny
  // for everyone else in the bus policy, which IAM allows on `*` cannot override).
  const eventProducers = await list('eventProducers', /^arn:aws(?:-[a-z]+)*:(?:iam|sts)::\d{12}:[A-Za-z0-9+=,.@_/*-]+$/);
  const ownBus = !busArn && eventBus !== 'default';
  if (eventProducers.length > 0 && !ownBus) problem('eventProducers', `applies to the bus this stack creates; with eventBus ${JSON.stringify(eventBus)} set the policy on that bus yourself`);
  const producersPolicy =
    eventProducers.length > 0 && ownBus
      ? {
          Resources: {
            PerkamoEventBusProducersPolicy: {
              Type: 'AWS::Events::EventBusPolicy',
              DependsOn: [`${normalizedName(eventBus)}EventBridgeEventBus`],
              Properties: {
                EventBusName: eventBus,
                StatementId: 'OnlyNamedProducers',
                Statement: {
                  Effect: 'Deny',
                  Principal: '*',
                  Action: 'events:PutEvents',
                  Resource: { 'Fn::Sub': `arn:\${AWS::Partition}:events:\${AWS::Region}:\${AWS::AccountId}:event-bus/${eventBus}` },
                  Condition: { ArnNotLike: { 'aws:PrincipalArn': eventProducers } },
                },
              },
            },
          },
        }
      : {};
  const eventSources = await list('eventSources', /^[^\s,]{1,256}$/);
  const emitDetailTypes = await list('emitDetailTypes', DETAIL_TYPE);
  const identifyDetailTypes = await list('identifyDetailTypes', DETAIL_TYPE);
  if (emitDetailTypes.length === 0) problem('emitDetailTypes', 'lists no detail-type');
  if (identifyDetailTypes.length === 0) problem('identifyDetailTypes', 'lists no detail-type');
  const withSource = (pattern) => (eventSources.length > 0 ? { source: eventSources, ...pattern } : pattern);
  const ruleName = (fn) => `${service}-${stage}-${fn}`;
  const ruleArn = (fn) => ({ 'Fn::Sub': `arn:\${AWS::Partition}:events:\${AWS::Region}:\${AWS::AccountId}:rule/${busPath}${ruleName(fn)}` });
  const eventRetryAttempts = await int('eventRetryAttempts', 0, 185);
  // Also the functions' async maximumEventAge, which Lambda caps at 6 hours.
  const eventMaxAge = await int('eventMaxAge', 60, 21600);

  for (const [name, message] of await unknownAndPlaceholders({ options, resolveConfigurationProperty, raw, stage })) problem(name, message);

  const fix = `Fix them under params.${stage} in serverless.yml or with --param 'name=value' (every parameter: docs/deploy.md).`;
  if (problems.length > 0) refuseParameters(problems, { stage, fix });

  return {
    runtime,
    nodeOptions,
    memorySize,
    timeout,
    logRetentionInDays,
    capacity: {
      perkamoConcurrency,
      queueMaximumConcurrency,
      // `reservedConcurrency: null` in serverless.yml leaves the function unreserved.
      reservedConcurrency: reservedConcurrency ?? null,
      queueCalls,
    },
    managedInstances,
    alarms,
    http: { throttlingRateLimit, throttlingBurstLimit },
    logs: { level: logLevel, applicationLogLevel: logLevel.toUpperCase() },
    traces: {
      mode: traces,
      // provider.tracing.lambda: every function's TracingConfig Mode Active (false: none, i.e. PassThrough).
      activeTracing: traces === 'xray',
      exporter: traces === 'none' ? 'none' : 'otlp',
      tracesEndpoint: xrayEndpoint,
      endpoint: traces === 'otlp' ? otelExporterEndpoint : '',
      headers: traces === 'otlp' ? otelExporterHeaders : '',
      propagators: traces === 'xray' ? 'tracecontext,baggage,xray-lambda' : '',
    },
    transactionSearch: {
      mode: transactionSearch ? 'enabled' : 'disabled',
      indexingPercentage,
      policyDocument: { 'Fn::Sub': JSON.stringify(transactionSearchPolicy) },
    },
    queues: {
      kind: fifo ? 'fifo' : 'standard',
      suffix: fifo ? '.fifo' : '',
      batchSize,
      maximumBatchingWindow,
      identifyBatchSize,
      maxReceiveCount,
      visibilityTimeout,
    },
    secret: {
      arn: secret.arn,
      parameter: secret.parameter,
      statement: secret.statement,
    },
    kms: {
      mode: kmsKeyArn === '' ? 'none' : 'key',
      keyArn: kmsKeyArn,
      viaService: { 'Fn::Sub': `${secret.viaService}.\${AWS::Region}.amazonaws.com` },
    },
    httpAuth: {
      mode: httpAuth,
      trustApiGateway: httpAuth === 'gateway' ? 'true' : 'false',
      audience: jwtAudience === '' ? [] : jwtAudience.split(','),
    },
    eventBridge: {
      bus: eventBus,
      producersPolicy,
      retryAttempts: eventRetryAttempts,
      maxAge: eventMaxAge,
      emit: {
        name: ruleName('emit'),
        arn: ruleArn('emit'),
        pattern: withSource({ 'detail-type': emitDetailTypes, detail: { user_id: [{ exists: true }], event: [{ exists: true }] } }),
      },
      identify: {
        name: ruleName('identify'),
        arn: ruleArn('identify'),
        pattern: withSource({ 'detail-type': identifyDetailTypes, detail: { user_id: [{ exists: true }] } }),
      },
    },
  };
};
