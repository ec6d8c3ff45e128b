'use strict';
// The functions serverless.yml deploys, made from the function list (src/lambda/functions/, read
// from the built library): each function's entry — handler, zip, its HTTP route and, behind API
// Gateway's authorizer, its scope; CORS preflights for browser functions; the variables its needs
// name — and its role. A route or a scope is written once, in the function's module.
//
//   functions: ${file(./serverless/functions.cjs):functions}
//   resources: - ${file(./serverless/functions.cjs):resources}   (the roles, the KMS policy's list)
//
// What the list does not know is the deploy's and is here, once: which queue feeds a function that
// takes SQS (and its event source settings), which EventBridge rule one that takes EventBridge, and
// what each trigger needs in the role (the queue's receive, the dead-letter queue's send). Parameters
// stay in serverless.yml; settings.cjs validates them (`custom.perkamo`).

const { existsSync } = require('node:fs');
const { join } = require('node:path');
const { pathToFileURL } = require('node:url');
const { functionId, normalizedName, refuse, refuseParameters, resolverError } = require('./osls.cjs');
const { didYouMean } = require('./params.cjs');
const { managedInstancesEntry, managedInstancesResources } = require('./managed-instances.cjs');

const getAtt = (id, attribute = 'Arn') => ({ 'Fn::GetAtt': [id, attribute] });
/** The role's logical id: `stream-token` → `StreamTokenRole`. */
const roleId = (name) => `${name.replace(/(^|-)([a-z])/g, (_, _dash, c) => c.toUpperCase())}Role`;
/**
 * A setting as osls resolves it in serverless.yml (`${self:custom.perkamo.…}`): values holding
 * CloudFormation's own `${AWS::Region}` (Fn::Sub) must not pass through this resolver's answer.
 */
const setting = (path, fallback) => `\${self:custom.perkamo.${path}${fallback === undefined ? '' : `, ${fallback}`}}`;

/** The queue feeding each function that takes SQS, with its event source settings (from settings.cjs). */
function queueOf(name, settings) {
  const { queues } = settings;
  const feeds = {
    batch: {
      id: 'EventsQueue',
      label: 'events',
      batchSize: setting('queues.batchSize'),
      // A FIFO event source takes no batching window.
      ...(queues.kind === 'standard' && { maximumBatchingWindow: setting('queues.maximumBatchingWindow') }),
    },
    identify: { id: 'IdentifyQueue', label: 'identify', batchSize: setting('queues.identifyBatchSize') },
  };
  const feed = feeds[name];
  if (!feed) throw resolverError(`serverless/functions.cjs: the ${name} function takes SQS, but no queue feeds it; add one to queueOf`);
  return { ...feed, maximumConcurrency: setting('capacity.queueMaximumConcurrency') };
}

/** The function list (the built library), and the validated settings as osls resolves them now. */
let library;
async function load(resolveVariable) {
  // Only the import is kept: osls asks again in a later pass when a setting could not be resolved yet.
  library ??= (() => {
    const path = join(process.cwd(), 'dist/lib/lambda.mjs');
    if (!existsSync(path)) refuse('dist/lib/lambda.mjs is missing: run `npm run build` before packaging (`npm run package` does both)');
    return import(pathToFileURL(path).href);
  })();
  const { functions } = await library;
  const settings = await resolveVariable('self:custom.perkamo');
  const names = functions.map((fn) => fn.name);
  for (const name of settings.managedInstances.functions) {
    if (!names.includes(name)) refuseParameters([`param "managedInstances": "${name}" is not a function of this service${didYouMean(name, names)} (the functions: ${names.join(', ')})`]);
  }
  return { functions, settings };
}

/** The variables a function's needs add to its environment, and the parameter that sets each. */
const needVariables = {
  needsBrowserKey: { PERKAMO_BROWSER_KEY: 'browserKey', PERKAMO_STREAM_TOKEN_TTL_SECONDS: 'streamTokenTtlSeconds' },
  browser: { CORS_ALLOWED_ORIGINS: 'corsAllowedOrigins' },
};

/** The serverless.yml parameter that sets a function's own variable (startable.cjs names it in its problems). */
function parameterOfVariable(variable) {
  for (const variables of Object.values(needVariables)) if (variable in variables) return variables[variable];
  return undefined;
}

/** One function's entry under `functions:`. */
function entryOf(fn, settings) {
  const [method, path] = fn.route.split(' ');
  const authorizer = settings.httpAuth.mode === 'gateway' ? { name: 'perkamoJwt', ...(fn.scope !== undefined && { scopes: [fn.scope] }) } : '';
  const events = [{ httpApi: { method, path, authorizer } }];
  // Browsers' CORS preflight carries no token: the function answers it (CORS_ALLOWED_ORIGINS).
  if (fn.browser) events.push({ httpApi: { method: 'OPTIONS', path } });
  const about = [fn.route];
  if (fn.triggers.includes('sqs')) {
    const { id, label, ...source } = queueOf(fn.name, settings);
    events.push({ sqs: { arn: getAtt(id), ...source, functionResponseType: 'ReportBatchItemFailures' } });
    about.push(`the ${label} queue`);
  }
  const async = {};
  if (fn.triggers.includes('eventbridge')) {
    const rule = settings.eventBridge[fn.name];
    if (!rule) throw resolverError(`serverless/functions.cjs: the ${fn.name} function takes EventBridge events, but settings.cjs has no rule for it`);
    const maxAge = setting('eventBridge.maxAge');
    events.push({
      eventBridge: {
        eventBus: setting('eventBridge.bus'),
        name: setting(`eventBridge.${fn.name}.name`),
        pattern: setting(`eventBridge.${fn.name}.pattern`),
        retryPolicy: { maximumRetryAttempts: setting('eventBridge.retryAttempts'), maximumEventAge: maxAge },
        deadLetterQueueArn: getAtt('EventBridgeDeadLetterQueue'),
      },
    });
    about.push('EventBridge');
    // EventBridge invokes asynchronously: when the function fails, Lambda retries twice, then
    // records the event in the EventBridge dead-letter queue.
    Object.assign(async, {
      maximumRetryAttempts: 2,
      maximumEventAge: maxAge,
      destinations: { onFailure: { type: 'sqs', arn: getAtt('EventBridgeDeadLetterQueue') } },
    });
  }
  const environment = Object.fromEntries(
    Object.entries(needVariables)
      .filter(([need]) => fn[need])
      .flatMap(([, variables]) => Object.entries(variables).map(([variable, parameter]) => [variable, `\${param:${parameter}}`])),
  );
  const dir = `dist/functions/${fn.name}`;
  const managed = settings.managedInstances.functions.includes(fn.name) ? managedInstancesEntry(settings.managedInstances) : undefined;
  if (managed) Object.assign(environment, managed.environment);
  return {
    description: `Perkamo ${fn.name} — ${about.join(', ')}${fn.browser ? ' (browsers)' : ''}`,
    handler: `${dir}/index.handler`,
    // `null` leaves the function unreserved (the reservedConcurrency parameter, '' = none).
    reservedConcurrency: setting('capacity.reservedConcurrency', 'null'),
    role: roleId(fn.name),
    // Its bundle and source map only; index.cjs is for `serverless invoke local`.
    package: { patterns: ['!**', `${dir}/**`, `!${dir}/index.cjs`] },
    ...async,
    ...(managed && { memorySize: managed.memorySize, reservedConcurrency: managed.reservedConcurrency }),
    ...(Object.keys(environment).length > 0 && { environment }),
    events,
  };
}

/** One function's role: its own log group, the one secret, and what its triggers need. */
function roleOf(fn, settings) {
  const statements = [
    { Sid: 'OwnLogGroup', Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: getAtt(`${normalizedName(fn.name)}LogGroup`) },
    setting('secret.statement'),
  ];
  if (fn.triggers.includes('sqs')) {
    const { id } = queueOf(fn.name, settings);
    statements.push({ Sid: `${id}EventSource`, Effect: 'Allow', Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'], Resource: getAtt(id) });
  }
  if (fn.triggers.includes('eventbridge')) {
    statements.push({ Sid: 'FailedEventBridgeEvents', Effect: 'Allow', Action: 'sqs:SendMessage', Resource: getAtt('EventBridgeDeadLetterQueue') });
  }
  return {
    Type: 'AWS::IAM::Role',
    Properties: {
      Description: `perkamo-lambda ${fn.name}`,
      AssumeRolePolicyDocument: {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
      },
      // traces=xray: the X-Ray statement, in the policy every role attaches (serverless.yml).
      ...(settings.traces.activeTracing && { ManagedPolicyArns: [{ Ref: 'XRayTracesPolicy' }] }),
      Policies: [{ PolicyName: `perkamo-${fn.name}`, PolicyDocument: { Version: '2012-10-17', Statement: statements } }],
    },
  };
}

module.exports = {
  parameterOfVariable,

  async functions({ resolveVariable }) {
    const { functions, settings } = await load(resolveVariable);
    return Object.fromEntries(functions.map((fn) => [fn.name, entryOf(fn, settings)]));
  },

  async resources({ resolveVariable }) {
    const { functions, settings } = await load(resolveVariable);
    const Resources = Object.fromEntries(functions.map((fn) => [roleId(fn.name), roleOf(fn, settings)]));
    const extensions = {};
    if (settings.kms.mode === 'key') {
      // kmsKeyArn set: the roles may decrypt with that one key, and only through the service holding
      // the secret (kms:ViaService). The functions are created after this policy.
      Resources.PerkamoSecretKmsPolicy = {
        Type: 'AWS::IAM::Policy',
        Properties: {
          PolicyName: 'perkamo-secret-kms-decrypt',
          Roles: functions.map((fn) => ({ Ref: roleId(fn.name) })),
          PolicyDocument: {
            Version: '2012-10-17',
            Statement: [
              {
                Sid: 'DecryptPerkamoSecret',
                Effect: 'Allow',
                Action: 'kms:Decrypt',
                Resource: setting('kms.keyArn'),
                Condition: { StringEquals: { 'kms:ViaService': setting('kms.viaService') } },
              },
            ],
          },
        },
      };
      for (const fn of functions) extensions[functionId(fn.name)] = { DependsOn: ['PerkamoSecretKmsPolicy'] };
    }
    const managed = managedInstancesResources(settings.managedInstances, functionId, await resolveVariable('self:provider.architecture'));
    Object.assign(Resources, managed.Resources);
    for (const [id, extension] of Object.entries(managed.extensions)) extensions[id] = { ...extensions[id], ...extension };
    return { Resources, ...(Object.keys(extensions).length > 0 && { extensions }) };
  },
};
