import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SecretLoadError, createApiKeySupplier } from '../../src/lambda/secrets.ts';
import { PerkamoConfigurationError } from '../../src/sdk/index.ts';

const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:perkamo/prod-AbCdEf';
const PARAM = '/perkamo/prod/secret-key';
const KEY = 'sk_live_TOPSECRET_one';
const KEY2 = 'sk_live_TOPSECRET_two';
const awsOptions = { region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } };

const smMock = mockClient(SecretsManagerClient);
const ssmMock = mockClient(SSMClient);
let secretsManager: SecretsManagerClient;
let ssm: SSMClient;

beforeEach(() => {
  smMock.reset();
  ssmMock.reset();
  secretsManager = new SecretsManagerClient(awsOptions);
  ssm = new SSMClient(awsOptions);
});
afterEach(() => vi.unstubAllEnvs());

function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

function awsFailure(name: string, message: string): Error {
  return Object.assign(new Error(message), { name, $metadata: {} });
}

async function caught(promise: string | Promise<unknown>): Promise<SecretLoadError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(SecretLoadError);
    return error as SecretLoadError;
  }
  throw new Error('expected a rejection');
}

describe('createApiKeySupplier: env', () => {
  it('returns the value as is, without any AWS call', async () => {
    const supplier = createApiKeySupplier({ kind: 'env', value: KEY }, { ttlMs: 1000, secretsManager, ssm });
    expect(supplier()).toBe(KEY);
    expect(smMock.calls()).toHaveLength(0);
    expect(ssmMock.calls()).toHaveLength(0);
  });
});

describe('createApiKeySupplier: Secrets Manager', () => {
  const source = { kind: 'secrets-manager', arn: ARN } as const;

  it('sends GetSecretValue with the ARN and returns a raw SecretString', async () => {
    smMock.on(GetSecretValueCommand).resolves({ SecretString: `${KEY}\n` });
    const supplier = createApiKeySupplier(source, { ttlMs: 60_000, secretsManager });
    await expect(Promise.resolve(supplier())).resolves.toBe(KEY);
    expect(smMock.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    // The key it holds comes back as is, not in a Promise: the client needs no timer to bound the wait for it.
    expect(supplier()).toBe(KEY);
    expect(smMock.commandCalls(GetSecretValueCommand)[0]!.args[0].input).toEqual({ SecretId: ARN });
  });

  it('reads the key from a JSON SecretString under PERKAMO_SECRET_KEY', async () => {
    smMock.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ OTHER: 'x', PERKAMO_SECRET_KEY: KEY }) });
    await expect(Promise.resolve(createApiKeySupplier(source, { ttlMs: 60_000, secretsManager })())).resolves.toBe(KEY);
  });

  it('refuses JSON without the field, listing field names but no values', async () => {
    smMock.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ apiKey: KEY }) });
    const error = await caught(createApiKeySupplier(source, { ttlMs: 60_000, secretsManager })());
    expect(error.message).toContain(ARN);
    expect(error.message).toContain('"apiKey"');
    expect(error.message).toContain('PERKAMO_SECRET_KEY');
    expect(error.message).not.toContain(KEY);
  });

  it('refuses broken JSON without quoting it', async () => {
    smMock.on(GetSecretValueCommand).resolves({ SecretString: `{"PERKAMO_SECRET_KEY": ${KEY}}` });
    const error = await caught(createApiKeySupplier(source, { ttlMs: 60_000, secretsManager })());
    expect(error.message).toContain('not valid JSON');
    expect(error.message).not.toContain(KEY);
    expect(error.cause).toBeUndefined();
  });

  it.each([
    ['empty', { SecretString: '  ' }, 'has no value'],
    ['missing', {}, 'has no value'],
    ['binary', { SecretBinary: new Uint8Array([1, 2]) }, 'stored as binary'],
    ['a browser key', { SecretString: 'pk_test_123' }, 'browser key'],
  ])('refuses a secret that is %s', async (_what, output, text) => {
    smMock.on(GetSecretValueCommand).resolves(output);
    const error = await caught(createApiKeySupplier(source, { ttlMs: 60_000, secretsManager })());
    expect(error.message).toContain(text);
    expect(error.message).toContain(ARN);
    expect(error).toBeInstanceOf(PerkamoConfigurationError);
  });

  it('names the ARN and the IAM permission when access is denied, never the value', async () => {
    smMock
      .on(GetSecretValueCommand)
      .rejects(awsFailure('AccessDeniedException', `User: arn:aws:sts::123456789012:assumed-role/fn is not authorized to perform: secretsmanager:GetSecretValue on resource: ${ARN}`));
    const error = await caught(createApiKeySupplier(source, { ttlMs: 60_000, secretsManager })());
    expect(error.name).toBe('SecretLoadError');
    expect(error.source).toBe('secrets-manager');
    expect(error.secretId).toBe(ARN);
    expect(error.awsErrorName).toBe('AccessDeniedException');
    expect(error.message).toContain(ARN);
    expect(error.message).toMatch(/grant the function's role secretsmanager:GetSecretValue/);
    expect(error.message).not.toContain(KEY);
  });

  it('points at KMS when decryption fails, and at the ARN when it does not exist', async () => {
    smMock.on(GetSecretValueCommand).rejectsOnce(awsFailure('DecryptionFailure', 'cannot decrypt')).rejectsOnce(awsFailure('ResourceNotFoundException', 'not found'));
    const supplier = createApiKeySupplier(source, { ttlMs: 60_000, secretsManager });
    expect((await caught(supplier())).message).toContain('kms:Decrypt');
    expect((await caught(supplier())).message).toContain("function's region");
  });

  it('caches the key within the TTL; after it, serves that key while one refresh reads the next', async () => {
    smMock.on(GetSecretValueCommand).resolvesOnce({ SecretString: KEY }).resolves({ SecretString: KEY2 });
    const c = clock();
    const supplier = createApiKeySupplier(source, { ttlMs: 60_000, secretsManager, now: c.now });
    await expect(Promise.resolve(supplier())).resolves.toBe(KEY);
    c.advance(59_999);
    await expect(Promise.resolve(supplier())).resolves.toBe(KEY);
    expect(smMock.calls()).toHaveLength(1);
    c.advance(1);
    // Served at once with the key in hand; the refresh reads the next one meanwhile.
    await expect(Promise.resolve(supplier())).resolves.toBe(KEY);
    await vi.waitFor(() => expect(smMock.calls()).toHaveLength(2));
    await vi.waitFor(() => expect(Promise.resolve(supplier())).resolves.toBe(KEY2));
    expect(smMock.calls()).toHaveLength(2);
    // Two TTLs after the last good read, a caller waits for the read.
    smMock.on(GetSecretValueCommand).resolves({ SecretString: KEY });
    c.advance(120_000);
    await expect(Promise.resolve(supplier())).resolves.toBe(KEY);
    expect(smMock.calls()).toHaveLength(3);
  });

  it('reads on every call with ttlMs 0', async () => {
    smMock.on(GetSecretValueCommand).resolves({ SecretString: KEY });
    const supplier = createApiKeySupplier(source, { ttlMs: 0, secretsManager, now: clock().now });
    await supplier();
    await supplier();
    expect(smMock.calls()).toHaveLength(2);
  });

  it('shares one in-flight read between concurrent callers', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    smMock.on(GetSecretValueCommand).callsFake(async () => {
      await gate;
      return { SecretString: KEY };
    });
    const supplier = createApiKeySupplier(source, { ttlMs: 60_000, secretsManager });
    const all = Promise.all([supplier(), supplier(), supplier()]);
    release();
    await expect(all).resolves.toEqual([KEY, KEY, KEY]);
    expect(smMock.calls()).toHaveLength(1);
  });

  it('does not cache a failure', async () => {
    smMock.on(GetSecretValueCommand).rejectsOnce(awsFailure('InternalServiceError', 'boom')).resolves({ SecretString: KEY });
    const supplier = createApiKeySupplier(source, { ttlMs: 60_000, secretsManager, now: clock().now });
    const error = await caught(supplier());
    expect(error.message).toContain('VPC endpoint');
    await expect(Promise.resolve(supplier())).resolves.toBe(KEY);
    expect(smMock.calls()).toHaveLength(2);
  });

  it('serves the stale key for one more TTL when a refresh fails, and says so', async () => {
    smMock
      .on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: KEY })
      .rejects(awsFailure('InternalServiceError', 'boom'));
    const c = clock();
    const onRefreshError = vi.fn();
    const supplier = createApiKeySupplier(source, { ttlMs: 60_000, secretsManager, now: c.now, onRefreshError });
    await supplier();

    c.advance(60_000);
    await expect(Promise.resolve(supplier())).resolves.toBe(KEY);
    await vi.waitFor(() => expect(onRefreshError).toHaveBeenCalledTimes(1));
    expect(onRefreshError.mock.calls[0]![0]).toBeInstanceOf(SecretLoadError);
    expect(onRefreshError.mock.calls[0]![1]).toEqual({ staleForMs: 60_000 });
    expect(smMock.calls()).toHaveLength(2);

    // No new read for a short pause (min(ttl, 10 s)), then it tries again.
    c.advance(9_999);
    await expect(Promise.resolve(supplier())).resolves.toBe(KEY);
    expect(smMock.calls()).toHaveLength(2);
    c.advance(1);
    await expect(Promise.resolve(supplier())).resolves.toBe(KEY);
    await vi.waitFor(() => expect(smMock.calls()).toHaveLength(3));
    await vi.waitFor(() => expect(onRefreshError).toHaveBeenCalledTimes(2));

    // Two TTLs after the last good read the stale key is no longer served.
    c.advance(50_000);
    const error = await caught(supplier());
    expect(error.message).toContain(ARN);
    expect(error.message).not.toContain(KEY);
  });

  it('gives up a read that never answers after readTimeoutMs, releases it, and reads again next time (issue 13, defect 4)', async () => {
    smMock.on(GetSecretValueCommand).callsFakeOnce(() => new Promise(() => {})).resolves({ SecretString: KEY });
    const supplier = createApiKeySupplier(source, { ttlMs: 60_000, secretsManager, readTimeoutMs: 100 });
    const started = performance.now();
    const error = await caught(supplier());
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(error).toBeInstanceOf(SecretLoadError);
    expect(error.message).toMatch(new RegExp(`Secrets Manager secret ${ARN}: no answer within 100 ms; check that the function can reach Secrets Manager`));
    // The hung read is not shared with the next caller: a new read succeeds.
    await expect(Promise.resolve(supplier())).resolves.toBe(KEY);
    expect(smMock.calls()).toHaveLength(2);
  });

  it('a refresh that hangs holds no caller: each is served the cached key at once, one read in flight, and the hang is said once (the hardening probe)', async () => {
    smMock.on(GetSecretValueCommand).resolvesOnce({ SecretString: KEY }).callsFake(() => new Promise(() => {}));
    const c = clock();
    const onRefreshError = vi.fn();
    // The default read timeout (2 s): before the fix, every caller waited for it.
    const supplier = createApiKeySupplier(source, { ttlMs: 60_000, secretsManager, now: c.now, onRefreshError });
    await supplier();
    c.advance(60_000);
    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      await expect(Promise.resolve(supplier())).resolves.toBe(KEY);
      // Not a timing test: a wait for the hung read would take its 2 s timeout.
      expect(performance.now() - started).toBeLessThan(1_000);
    }
    expect(smMock.calls()).toHaveLength(2);
    await vi.waitFor(() => expect(onRefreshError).toHaveBeenCalledTimes(1), { timeout: 5_000 });
    expect(onRefreshError.mock.calls[0]![0].message).toMatch(/no answer within 2000 ms/);
  });

  it('creates its own client lazily when none is given', async () => {
    vi.stubEnv('AWS_REGION', 'us-east-1');
    smMock.on(GetSecretValueCommand).resolves({ SecretString: KEY });
    await expect(Promise.resolve(createApiKeySupplier(source, { ttlMs: 60_000 })())).resolves.toBe(KEY);
    expect(smMock.commandCalls(GetSecretValueCommand)[0]!.args[0].input).toEqual({ SecretId: ARN });
  });
});

describe('createApiKeySupplier: SSM', () => {
  const source = { kind: 'ssm', name: PARAM } as const;

  it('sends GetParameter with decryption and returns the value', async () => {
    ssmMock.on(GetParameterCommand).resolves({ Parameter: { Name: PARAM, Type: 'SecureString', Value: KEY } });
    await expect(Promise.resolve(createApiKeySupplier(source, { ttlMs: 60_000, ssm })())).resolves.toBe(KEY);
    expect(ssmMock.commandCalls(GetParameterCommand)[0]!.args[0].input).toEqual({ Name: PARAM, WithDecryption: true });
    expect(smMock.calls()).toHaveLength(0);
  });

  it('accepts a JSON value too', async () => {
    ssmMock.on(GetParameterCommand).resolves({ Parameter: { Value: JSON.stringify({ PERKAMO_SECRET_KEY: KEY }) } });
    await expect(Promise.resolve(createApiKeySupplier(source, { ttlMs: 60_000, ssm })())).resolves.toBe(KEY);
  });

  it('refuses a missing value', async () => {
    ssmMock.on(GetParameterCommand).resolves({});
    const error = await caught(createApiKeySupplier(source, { ttlMs: 60_000, ssm })());
    expect(error.message).toContain(`SSM parameter ${PARAM} has no value`);
  });

  it('names the parameter and ssm:GetParameter when access is denied', async () => {
    ssmMock.on(GetParameterCommand).rejects(awsFailure('AccessDeniedException', 'not authorized to perform: ssm:GetParameter'));
    const error = await caught(createApiKeySupplier(source, { ttlMs: 60_000, ssm })());
    expect(error.source).toBe('ssm');
    expect(error.message).toContain(PARAM);
    expect(error.message).toContain('ssm:GetParameter');
    expect(error.message).toContain('kms:Decrypt');
  });

  it('points at the name when the parameter does not exist', async () => {
    ssmMock.on(GetParameterCommand).rejects(awsFailure('ParameterNotFound', ''));
    const error = await caught(createApiKeySupplier(source, { ttlMs: 60_000, ssm })());
    expect(error.message).toContain('check the parameter name');
    expect(error.awsErrorName).toBe('ParameterNotFound');
  });

  it('caches within the TTL', async () => {
    ssmMock.on(GetParameterCommand).resolves({ Parameter: { Value: KEY } });
    const c = clock();
    const supplier = createApiKeySupplier(source, { ttlMs: 1_000, ssm, now: c.now });
    await supplier();
    await supplier();
    expect(ssmMock.calls()).toHaveLength(1);
    c.advance(1_000);
    await supplier();
    await vi.waitFor(() => expect(ssmMock.calls()).toHaveLength(2));
    await new Promise((resolve) => setTimeout(resolve, 0)); // the background refresh settles
    // Past two TTLs, the caller waits for a read.
    c.advance(2_000);
    await supplier();
    expect(ssmMock.calls()).toHaveLength(3);
  });
});

describe('cold start', () => {
  it('imports the AWS SDK only dynamically (a PERKAMO_SECRET_KEY function never loads it)', async () => {
    const { readFile } = await import('node:fs/promises');
    const source = await readFile(new URL('../../src/lambda/secrets.ts', import.meta.url), 'utf8');
    expect(source).not.toMatch(/^import (?!type )[^;]*['"]@aws-sdk\//m);
    expect(source).toContain("import('@aws-sdk/client-secrets-manager')");
    expect(source).toContain("import('@aws-sdk/client-ssm')");
  });
});

// Issue 27: with a cached key past its TTL (1 s here, as the probe had it), an invocation uses the
// cached key at once while one refresh runs in the background — for either store, whether the
// refresh hangs or fails.
describe.each([
  {
    store: 'Secrets Manager',
    source: { kind: 'secrets-manager', arn: ARN } as const,
    mock: () => smMock.on(GetSecretValueCommand),
    answer: { SecretString: KEY },
    calls: () => smMock.calls().length,
    clients: () => ({ secretsManager }),
  },
  {
    store: 'SSM',
    source: { kind: 'ssm', name: PARAM } as const,
    mock: () => ssmMock.on(GetParameterCommand),
    answer: { Parameter: { Value: KEY } },
    calls: () => ssmMock.calls().length,
    clients: () => ({ ssm }),
  },
])('$store: a key refresh never stalls an invocation (TTL 1 s)', ({ source, mock, answer, calls, clients }) => {
  it.each([
    ['hangs', () => new Promise(() => {})],
    ['fails', () => Promise.reject(awsFailure('InternalServerError', 'boom'))],
  ] as const)('a refresh that %s: every caller is served the cached key at once, one read in flight, the problem said once', async (_, refresh) => {
    mock().resolvesOnce(answer as never).callsFake(refresh);
    const c = clock();
    const onRefreshError = vi.fn();
    const supplier = createApiKeySupplier(source, { ttlMs: 1_000, now: c.now, onRefreshError, ...clients() });
    await expect(Promise.resolve(supplier())).resolves.toBe(KEY);
    c.advance(1_000);
    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      await expect(Promise.resolve(supplier())).resolves.toBe(KEY);
      // Not a timing test: a caller held by the read would wait its 2 s timeout.
      expect(performance.now() - started).toBeLessThan(1_000);
    }
    expect(calls()).toBe(2);
    await vi.waitFor(() => expect(onRefreshError).toHaveBeenCalledTimes(1), { timeout: 5_000 });
    expect(onRefreshError.mock.calls[0]![0]).toBeInstanceOf(SecretLoadError);
    expect(onRefreshError.mock.calls[0]![0].message).not.toContain(KEY);
  });
});
