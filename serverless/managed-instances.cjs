'use strict';
// Lambda Managed Instances (docs/deploy.md, "Managed Instances"): the functions named in the
// `managedInstances` parameter run on EC2 instances of a capacity provider, many invocations at once
// in each execution environment, instead of one per environment. What the deploy sets, together:
//   - PerExecutionEnvironmentMaxConcurrency (`managedInstancesConcurrency`): invocations in flight per
//     environment; Lambda hands it to the runtime as AWS_LAMBDA_MAX_CONCURRENCY, which turns the
//     runtime client and the layer into their multi-concurrency modes;
//   - AWS_LAMBDA_NODEJS_WORKER_COUNT: one worker thread per vCPU of the environment (its memory over
//     `managedInstancesMemoryGiBPerVCpu`). The runtime client's own default is 8 per vCPU, but a
//     worker takes any number of invocations at once (it asks for the next one without waiting for
//     the last to end), and our code waits on I/O: more workers only add copies of the init and
//     parked polls;
//   - UV_THREADPOOL_SIZE: the workers plus 4 threads for real work (zlib for the gzipped export,
//     file reads, DNS lookups), the rule of the layer's exec wrapper (layers/otel/perkamo-otel-handler,
//     which says why). The deploy loads the layer through NODE_OPTIONS, without the wrapper, so it
//     sets the size itself; test/deploy/managed-instances.test.ts runs the wrapper on each
//     function's environment and checks that the two agree.
// The capacity provider is the stack's own (`managedInstancesSubnetIds`, `…SecurityGroupIds`) or an
// existing one (`capacityProviderArn`). Settings come from settings.cjs, resources are added by
// functions.cjs; nothing else knows about Managed Instances.

const SUBNET = /^subnet-[0-9a-f]{8,17}$/;
const SECURITY_GROUP = /^sg-[0-9a-f]{8,17}$/;
const CAPACITY_PROVIDER_ARN = /^arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:\d{12}:capacity-provider:[a-zA-Z0-9-_]+$/;
// AWS: an environment has at least 2 GB and 1 vCPU; 2, 4 or 8 GiB of memory per vCPU.
const MIN_MEMORY_MB = 2048;
const GIB_PER_VCPU = [2, 4, 8];
/** Threads of libuv's pool kept for work other than the workers' parked polls (perkamo-otel-handler's 4). */
const WORK_THREADS = 4;
/** The stack's capacity provider and its operator role (logical ids). */
const PROVIDER_ID = 'PerkamoCapacityProvider';
const OPERATOR_ROLE_ID = 'PerkamoCapacityProviderOperatorRole';

/** The `managedInstances*` parameters, checked with settings.cjs's readers; `problem(name, message)` collects what is wrong. */
async function managedInstancesSettings({ raw, int, list, problem }) {
  const functions = await list('managedInstances', /^[a-z][a-z0-9-]*$/);
  const capacityProviderArn = String(await raw('capacityProviderArn'));
  const subnetIds = await list('managedInstancesSubnetIds', SUBNET);
  const securityGroupIds = await list('managedInstancesSecurityGroupIds', SECURITY_GROUP);
  const maxVCpuRaw = await raw('managedInstancesMaxVCpuCount');
  const maxVCpuCount = maxVCpuRaw === '' ? undefined : await int('managedInstancesMaxVCpuCount', 2, 15000);
  const concurrency = await int('managedInstancesConcurrency', 1, 1600);
  const memorySize = await int('managedInstancesMemorySize', MIN_MEMORY_MB, 32768);
  const gibPerVCpu = await int('managedInstancesMemoryGiBPerVCpu', 2, 8);
  if (!GIB_PER_VCPU.includes(gibPerVCpu)) problem('managedInstancesMemoryGiBPerVCpu', `${gibPerVCpu} is not one of ${GIB_PER_VCPU.join(', ')} (GiB of memory per vCPU)`);
  if (memorySize % (gibPerVCpu * 1024) !== 0) {
    problem('managedInstancesMemorySize', `${memorySize} MB is not a whole number of vCPUs at ${gibPerVCpu} GiB each; use a multiple of ${gibPerVCpu * 1024}`);
  }
  const vcpus = Math.max(1, Math.floor(memorySize / (gibPerVCpu * 1024)));

  const ownProvider = capacityProviderArn === '';
  if (functions.length > 0) {
    if (!ownProvider && !CAPACITY_PROVIDER_ARN.test(capacityProviderArn)) {
      problem('capacityProviderArn', `${JSON.stringify(capacityProviderArn)} is not a capacity provider ARN (arn:aws:lambda:<region>:<account>:capacity-provider:<name>)`);
    }
    if (ownProvider && subnetIds.length === 0) {
      problem('managedInstancesSubnetIds', 'required for the stack\'s own capacity provider: the subnets (several Availability Zones, with a route to Perkamo and AWS) its instances run in; or set capacityProviderArn');
    }
    if (ownProvider && securityGroupIds.length === 0) problem('managedInstancesSecurityGroupIds', 'required for the stack\'s own capacity provider: the security groups of its instances (outbound HTTPS); or set capacityProviderArn');
  } else {
    const given = { capacityProviderArn: !ownProvider, managedInstancesSubnetIds: subnetIds.length > 0, managedInstancesSecurityGroupIds: securityGroupIds.length > 0, managedInstancesMaxVCpuCount: maxVCpuRaw !== '' };
    for (const [name, set] of Object.entries(given)) {
      if (set) problem(name, 'applies with managedInstances (the functions to run on Lambda Managed Instances, e.g. batch,identify), which is empty');
    }
  }
  return {
    functions,
    providerMode: functions.length === 0 ? 'none' : ownProvider ? 'own' : 'existing',
    capacityProviderArn,
    subnetIds,
    securityGroupIds,
    maxVCpuCount,
    concurrency,
    memorySize,
    gibPerVCpu,
    workers: vcpus,
    threadPoolSize: vcpus + WORK_THREADS,
  };
}

/** The function's deploy entry on Managed Instances: its environment's size, the worker count and libuv's pool. */
function managedInstancesEntry(settings) {
  return {
    memorySize: settings.memorySize,
    // Their capacity is the capacity provider's, not a reservation.
    reservedConcurrency: null,
    environment: { AWS_LAMBDA_NODEJS_WORKER_COUNT: String(settings.workers), UV_THREADPOOL_SIZE: String(settings.threadPoolSize) },
  };
}

/** The CloudFormation of Managed Instances: the stack's capacity provider if it has one, and each function's capacity-provider configuration. */
function managedInstancesResources(settings, functionId, architecture) {
  const Resources = {};
  const extensions = {};
  if (settings.providerMode === 'none') return { Resources, extensions };
  if (settings.providerMode === 'own') {
    Resources[OPERATOR_ROLE_ID] = {
      Type: 'AWS::IAM::Role',
      Properties: {
        Description: 'perkamo-lambda: Lambda manages the capacity provider\'s EC2 instances with it',
        AssumeRolePolicyDocument: {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
        },
        // AWS's operator-role page names this policy as the role's minimum (docs/deploy.md cites it).
        ManagedPolicyArns: [{ 'Fn::Sub': 'arn:${AWS::Partition}:iam::aws:policy/AWSLambdaManagedEC2ResourceOperator' }],
      },
    };
    Resources[PROVIDER_ID] = {
      Type: 'AWS::Lambda::CapacityProvider',
      Properties: {
        PermissionsConfig: { CapacityProviderOperatorRoleArn: { 'Fn::GetAtt': [OPERATOR_ROLE_ID, 'Arn'] } },
        VpcConfig: { SubnetIds: settings.subnetIds, SecurityGroupIds: settings.securityGroupIds },
        // The functions' own architecture (serverless.yml, provider.architecture).
        InstanceRequirements: { Architectures: [architecture] },
        ...(settings.maxVCpuCount !== undefined && { CapacityProviderScalingConfig: { ScalingMode: 'Auto', MaxVCpuCount: settings.maxVCpuCount } }),
      },
    };
  }
  const arn = settings.providerMode === 'own' ? { 'Fn::GetAtt': [PROVIDER_ID, 'Arn'] } : settings.capacityProviderArn;
  for (const name of settings.functions) {
    extensions[functionId(name)] = {
      Properties: {
        CapacityProviderConfig: {
          LambdaManagedInstancesCapacityProviderConfig: {
            CapacityProviderArn: arn,
            PerExecutionEnvironmentMaxConcurrency: settings.concurrency,
            ExecutionEnvironmentMemoryGiBPerVCpu: settings.gibPerVCpu,
          },
        },
        // $LATEST.PUBLISHED is the version an unqualified ARN (the queues' event source mappings
        // name one) invokes on Managed Instances; this has CloudFormation publish it with the
        // function's code (docs/deploy.md, "Managed Instances": what AWS's docs confirm of it).
        PublishToLatestPublished: true,
      },
    };
  }
  return { Resources, extensions };
}

module.exports = { managedInstancesSettings, managedInstancesEntry, managedInstancesResources };
