// Lambda Managed Instances in the deploy (serverless/managed-instances.cjs): the functions named in
// `managedInstances` get a capacity-provider configuration, an environment of at least 2 GB, the
// worker count and libuv's pool sized from it; the stack's own capacity provider or an existing one;
// every other function untouched; bad values refused, one line each, naming the parameter.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { packageTemplate, type Template } from '../../dev/harness/deployed.ts';
import { projectDir } from './helpers.ts';
import { specProblems } from './resource-spec.ts';

const required = {
  authJwksUrl: 'https://login.example.com/.well-known/jwks.json',
  authIssuer: 'https://login.example.com/',
  authAudience: 'https://perkamo-api.example.com',
  browserKey: 'pk_live_example',
};
const SUBNETS = ['subnet-0123456789abcdef0', 'subnet-0fedcba9876543210'];
const SECURITY_GROUP = 'sg-0123456789abcdef0';
const EXISTING = 'arn:aws:lambda:eu-central-1:123456789012:capacity-provider:shared-trusted';

const run = promisify(execFile);
const pack = (params: Record<string, string>) => packageTemplate({ root: projectDir, params: { ...required, ...params } });
/** osls's output when packaging is refused. */
const refusal = (params: Record<string, string>) =>
  pack(params).then(
    () => '(packaged)',
    (error: Error) => error.message,
  );

type Props = Record<string, any>;
const fnProps = (t: Template, id: string): Props => t.Resources[id]!.Properties as Props;
const config = (t: Template, id: string) => fnProps(t, id).CapacityProviderConfig?.LambdaManagedInstancesCapacityProviderConfig;

let own: Template;
let existing: Template;
beforeAll(async () => {
  [own, existing] = await Promise.all([
    pack({
      managedInstances: 'batch,identify',
      managedInstancesSubnetIds: SUBNETS.join(','),
      managedInstancesSecurityGroupIds: SECURITY_GROUP,
      managedInstancesMaxVCpuCount: '64',
      reservedConcurrency: '25',
    }),
    pack({
      managedInstances: 'batch',
      capacityProviderArn: EXISTING,
      managedInstancesConcurrency: '64',
      managedInstancesMemorySize: '8192',
      managedInstancesMemoryGiBPerVCpu: '4',
    }),
  ]);
}, 180_000);

describe('managedInstances=batch,identify with the stack’s own capacity provider', () => {
  it('is valid against AWS’s resource specification', () => {
    expect(specProblems(own)).toEqual([]);
  });

  it('the specification check reads the capacity provider and the function’s configuration: a value outside an enum, a wrong type, a missing required property, an unknown name', () => {
    // Every expected value below is CloudFormation's schema speaking, not this code: the check
    // must refuse each of these changes to the template the deploy makes.
    const broken = structuredClone(own);
    const provider = broken.Resources.PerkamoCapacityProvider!.Properties as Props;
    provider.CapacityProviderScalingConfig.ScalingMode = 'auto';
    provider.InstanceRequirements.Architectures = ['aarch64'];
    delete provider.VpcConfig.SecurityGroupIds;
    const managed = config(broken, 'BatchLambdaFunction');
    managed.PerExecutionEnvironmentMaxConcurrency = 16.5;
    delete managed.CapacityProviderArn;
    fnProps(broken, 'IdentifyLambdaFunction').CapacityProviderConfig.LambdaManagedInstancesCapacityProviderConfig.MaxConcurrency = 16;
    expect(specProblems(broken).sort()).toEqual(
      [
        'BatchLambdaFunction (AWS::Lambda::Function).CapacityProviderConfig (CapacityProviderConfig).LambdaManagedInstancesCapacityProviderConfig (LambdaManagedInstancesCapacityProviderConfig): required property CapacityProviderArn is missing',
        'BatchLambdaFunction (AWS::Lambda::Function).CapacityProviderConfig (CapacityProviderConfig).LambdaManagedInstancesCapacityProviderConfig (LambdaManagedInstancesCapacityProviderConfig).PerExecutionEnvironmentMaxConcurrency: expected an integer, got 16.5',
        'IdentifyLambdaFunction (AWS::Lambda::Function).CapacityProviderConfig (CapacityProviderConfig).LambdaManagedInstancesCapacityProviderConfig (LambdaManagedInstancesCapacityProviderConfig): MaxConcurrency is not a property of it',
        'PerkamoCapacityProvider (AWS::Lambda::CapacityProvider).CapacityProviderScalingConfig (CapacityProviderScalingConfig).ScalingMode: expected one of Auto, Manual, got "auto"',
        'PerkamoCapacityProvider (AWS::Lambda::CapacityProvider).InstanceRequirements (InstanceRequirements).Architectures[0]: expected one of x86_64, arm64, got "aarch64"',
        'PerkamoCapacityProvider (AWS::Lambda::CapacityProvider).VpcConfig (CapacityProviderVpcConfig): required property SecurityGroupIds is missing',
      ].sort(),
    );
  });

  it('creates the capacity provider in the given subnets and security group, for arm64, capped at 64 vCPUs, managed through an operator role', () => {
    const provider = own.Resources.PerkamoCapacityProvider!;
    expect(provider.Type).toBe('AWS::Lambda::CapacityProvider');
    expect(provider.Properties).toEqual({
      PermissionsConfig: { CapacityProviderOperatorRoleArn: { 'Fn::GetAtt': ['PerkamoCapacityProviderOperatorRole', 'Arn'] } },
      VpcConfig: { SubnetIds: SUBNETS, SecurityGroupIds: [SECURITY_GROUP] },
      InstanceRequirements: { Architectures: ['arm64'] },
      CapacityProviderScalingConfig: { ScalingMode: 'Auto', MaxVCpuCount: 64 },
    });
    const role = own.Resources.PerkamoCapacityProviderOperatorRole!.Properties as Props;
    expect(role.AssumeRolePolicyDocument.Statement).toEqual([{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }]);
    expect(role.ManagedPolicyArns).toEqual([{ 'Fn::Sub': 'arn:${AWS::Partition}:iam::aws:policy/AWSLambdaManagedEC2ResourceOperator' }]);
  });

  it.each(['BatchLambdaFunction', 'IdentifyLambdaFunction'])('%s: on the capacity provider, 16 invocations per 2 GB environment, one worker thread, a pool of 5, no reservation', (id) => {
    expect(config(own, id)).toEqual({
      CapacityProviderArn: { 'Fn::GetAtt': ['PerkamoCapacityProvider', 'Arn'] },
      PerExecutionEnvironmentMaxConcurrency: 16,
      ExecutionEnvironmentMemoryGiBPerVCpu: 2,
    });
    const props = fnProps(own, id);
    // $LATEST.PUBLISHED, which the queues' unqualified ARN invokes, is published on every deploy.
    expect(props.PublishToLatestPublished).toBe(true);
    expect(props.MemorySize).toBe(2048);
    expect(props.Environment.Variables).toMatchObject({ AWS_LAMBDA_NODEJS_WORKER_COUNT: '1', UV_THREADPOOL_SIZE: '5' });
    // Lambda sets AWS_LAMBDA_MAX_CONCURRENCY itself from the configuration above.
    expect(props.Environment.Variables.AWS_LAMBDA_MAX_CONCURRENCY).toBeUndefined();
    expect(props.ReservedConcurrentExecutions).toBeUndefined();
  });

  it('leaves every other function as it was: 256 MB, no capacity provider, the reservation', () => {
    for (const id of ['EmitLambdaFunction', 'StreamDashtokenLambdaFunction', 'CustomerLambdaFunction', 'ProgramLambdaFunction']) {
      const props = fnProps(own, id);
      expect(props.CapacityProviderConfig, id).toBeUndefined();
      expect(props.MemorySize, id).toBe(256);
      expect(props.Environment.Variables.UV_THREADPOOL_SIZE, id).toBeUndefined();
      expect(props.ReservedConcurrentExecutions, id).toBe(25);
    }
  });
});

describe('managedInstances=batch on an existing capacity provider', () => {
  it('names it by ARN and creates no provider or operator role', () => {
    expect(config(existing, 'BatchLambdaFunction')).toEqual({ CapacityProviderArn: EXISTING, PerExecutionEnvironmentMaxConcurrency: 64, ExecutionEnvironmentMemoryGiBPerVCpu: 4 });
    expect(existing.Resources.PerkamoCapacityProvider).toBeUndefined();
    expect(existing.Resources.PerkamoCapacityProviderOperatorRole).toBeUndefined();
    expect(specProblems(existing)).toEqual([]);
  });

  it('sizes the workers and the pool from the environment: 8192 MB at 4 GiB per vCPU is 2 vCPUs, so 2 workers and 6 threads', () => {
    const props = fnProps(existing, 'BatchLambdaFunction');
    expect(props.MemorySize).toBe(8192);
    expect(props.Environment.Variables).toMatchObject({ AWS_LAMBDA_NODEJS_WORKER_COUNT: '2', UV_THREADPOOL_SIZE: '6' });
    expect(config(existing, 'IdentifyLambdaFunction')).toBeUndefined();
  });
});

describe('libuv’s pool: the deploy sizes it by the layer’s exec wrapper’s rule', () => {
  // The deploy sets UV_THREADPOOL_SIZE itself (it loads the layer without the wrapper); the wrapper
  // sizes the pool for a layer attached by hand. One rule in two languages: run the wrapper.
  /** UV_THREADPOOL_SIZE as the wrapper hands it to the runtime, in a function's environment as Lambda gives it. */
  const wrapped = async (t: Template, id: string) => {
    // Without the template's own UV_THREADPOOL_SIZE, which the wrapper would keep.
    const variables = Object.entries(fnProps(t, id).Environment.Variables as Record<string, unknown>).filter(
      (entry): entry is [string, string] => typeof entry[1] === 'string' && entry[0] !== 'UV_THREADPOOL_SIZE',
    );
    const env = { PATH: process.env.PATH, ...Object.fromEntries(variables), AWS_LAMBDA_MAX_CONCURRENCY: String(config(t, id).PerExecutionEnvironmentMaxConcurrency) };
    const { stdout } = await run('bash', [join(projectDir, 'layers/otel/perkamo-otel-handler'), 'printenv', 'UV_THREADPOOL_SIZE'], { env });
    return stdout.trim();
  };
  const cases: [string, string, () => Template][] = [
    ['own provider, 2 GB', 'BatchLambdaFunction', () => own],
    ['own provider, 2 GB', 'IdentifyLambdaFunction', () => own],
    ['existing provider, 8 GB at 4 GiB per vCPU', 'BatchLambdaFunction', () => existing],
  ];

  it.each(cases)('%s, %s: the wrapper, given the template’s worker count alone, sizes the pool as the template does', async (_, id, template) => {
    const deployed = fnProps(template(), id).Environment.Variables.UV_THREADPOOL_SIZE;
    expect(deployed).toMatch(/^\d+$/);
    expect(await wrapped(template(), id)).toBe(deployed);
  });
});

describe('refused, naming the parameter', () => {
  it('a function that is not one, with the one it meant', async () => {
    expect(await refusal({ managedInstances: 'batch,identfy', capacityProviderArn: EXISTING })).toContain(
      'param "managedInstances": "identfy" is not a function of this service — did you mean identify? (the functions: emit, batch, identify, stream-token, customer, program)',
    );
  });

  it('the stack’s own provider without subnets or security groups; a bad ARN, memory size or ratio', async () => {
    const [bare, bad] = await Promise.all([
      refusal({ managedInstances: 'batch' }),
      refusal({ managedInstances: 'batch', capacityProviderArn: 'shared-trusted', managedInstancesMemorySize: '3000', managedInstancesMemoryGiBPerVCpu: '3' }),
    ]);
    expect(bare).toContain('param "managedInstancesSubnetIds": required for the stack\'s own capacity provider');
    expect(bare).toContain('param "managedInstancesSecurityGroupIds": required for the stack\'s own capacity provider');
    expect(bad).toContain('param "capacityProviderArn": "shared-trusted" is not a capacity provider ARN');
    expect(bad).toContain('param "managedInstancesMemoryGiBPerVCpu": 3 is not one of 2, 4, 8');
    expect(bad).toContain('param "managedInstancesMemorySize": 3000 MB is not a whole number of vCPUs at 3 GiB each');
  });

  it('settings for a capacity provider when no function is on one', async () => {
    expect(await refusal({ capacityProviderArn: EXISTING })).toContain('param "capacityProviderArn": applies with managedInstances');
  });
});
