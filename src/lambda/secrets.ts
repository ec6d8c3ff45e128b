// The Perkamo server key, from the environment, Secrets Manager or SSM Parameter Store.
//
// Decisions:
// - The AWS SDK clients are loaded with a dynamic import() only when that source is used, so a
//   function configured with PERKAMO_SECRET_KEY never loads the AWS SDK at cold start.
// - A Secrets Manager SecretString (or an SSM value) is either the key itself, or a JSON object
//   holding it under `PERKAMO_SECRET_KEY` — the same name as the environment variable. Other
//   names (`apiKey`, `secretKey`) are not accepted: in a secret shared by several services they
//   are ambiguous, and one accepted name keeps the docs short. The error lists the names found.
// - A fetched key is reused for `ttlMs`. The first call after that starts a refresh and is served
//   the key it already holds, as is every call while the refresh runs, up to 2 × ttlMs after the
//   last good read: a slow or hanging Secrets Manager never holds an invocation whose key is in
//   hand (the hardening probe's defect: every invocation waited for the hung refresh's 2 s abort).
//   A rotated key is picked up within one TTL and one read; rotate with both keys valid for a
//   while, as Secrets Manager's rotation does. Concurrent callers share one in-flight read.
// - A failed read is never cached: with no key yet, the next call reads again. When a refresh
//   fails but a key was read less than 2 × ttlMs ago, that (stale) key keeps being served,
//   `onRefreshError` is told, and the next read is not tried for min(ttlMs, 10 s), so an outage
//   of Secrets Manager does not add a failing AWS call to every request.
// - ttlMs = 0 disables caching (and the stale fallback): every call reads the secret.
// - Every read is bounded by `readTimeoutMs` (default 2 s; AWS's answer, not the SDK's load) and then aborted: a Secrets Manager or
//   SSM that never answers fails that read — the shared in-flight read is released, a cached key is
//   served stale as for any failed refresh, and the next read is tried later — instead of holding
//   every invocation of a warm environment on one read that never ends. The Perkamo client also
//   holds the key lookup to the invocation's deadline (src/sdk/transport.ts).
// - Errors name the secret ARN or parameter name and the likely fix; they never hold the value,
//   and a JSON parse failure is not attached as a cause (its message can quote the input).
import { keepClassNames } from '../core/errors.ts';
import { PerkamoConfigurationError } from '../sdk/index.ts';
import type { SecretSource } from './config/index.ts';
import { withinDeadline } from './wait.ts';

/** The JSON field of a structured secret that holds the key. */
export const SECRET_JSON_FIELD = 'PERKAMO_SECRET_KEY';
/** Longest wait for one read of the secret (ApiKeySupplierOptions.readTimeoutMs). */
export const DEFAULT_READ_TIMEOUT_MS = 2_000;
/** Longest pause between refresh attempts while a stale key is served. */
const MAX_RETRY_PAUSE_MS = 10_000;

/** The server key could not be read from Secrets Manager or SSM. */
export class SecretLoadError extends PerkamoConfigurationError {
  override readonly name: string = 'SecretLoadError';
  readonly source: 'secrets-manager' | 'ssm';
  /** The secret ARN / name or SSM parameter name (never the value). */
  readonly secretId: string;
  /** The AWS error's name (`AccessDeniedException`, …), when AWS answered with one. */
  readonly awsErrorName: string | undefined;

  constructor(source: 'secrets-manager' | 'ssm', secretId: string, message: string, options?: { cause?: unknown; awsErrorName?: string }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.source = source;
    this.secretId = secretId;
    this.awsErrorName = options?.awsErrorName;
  }
}
keepClassNames({ SecretLoadError });

/**
 * What is used of an AWS SDK v3 client (a SecretsManagerClient, an SSMClient): `send`, and the
 * fields of its answer that are read. Structural, so that the published types need no AWS SDK
 * package: they are optional peers, which the Lambda Node runtime provides.
 */
export interface AwsClient<Output> {
  send(command: never, options?: { abortSignal?: AbortSignal }): Promise<Output>;
}

export interface ApiKeySupplierOptions {
  /** How long a fetched key is reused; 0 reads it on every call. */
  ttlMs: number;
  /** Longest wait for one read of the secret; the read is then aborted and counts as failed. Default 2,000 ms. */
  readTimeoutMs?: number;
  /** Clients to use instead of creating them (tests pass mocked ones). */
  secretsManager?: AwsClient<{ SecretString?: string; SecretBinary?: Uint8Array }>;
  ssm?: AwsClient<{ Parameter?: { Value?: string } }>;
  /** Clock, epoch milliseconds. */
  now?: () => number;
  /** A refresh failed and the previous key is served for up to `staleForMs` more. */
  onRefreshError?: (error: SecretLoadError, info: { staleForMs: number }) => void;
}

/**
 * Returns a supplier for the Perkamo client's `apiKey` option. A key it holds comes back as is, not
 * in a Promise: the client then needs no timer to bound the wait for it (every call asks).
 */
export function createApiKeySupplier(source: SecretSource, options: ApiKeySupplierOptions): () => string | Promise<string> {
  if (source.kind === 'env') {
    const value = source.value;
    return () => value;
  }
  const ttlMs = Math.max(0, options.ttlMs);
  const now = options.now ?? Date.now;
  const readTimeoutMs = options.readTimeoutMs ?? DEFAULT_READ_TIMEOUT_MS;
  const reader = source.kind === 'secrets-manager' ? secretsManagerReader(source.arn, options.secretsManager) : ssmReader(source.name, options.ssm);
  const read = source.kind === 'secrets-manager' ? () => readWithin(reader, readTimeoutMs, 'secrets-manager', source.arn) : () => readWithin(reader, readTimeoutMs, 'ssm', source.name);

  let cached: { value: string; at: number } | undefined;
  let pausedUntil = 0;
  let inflight: Promise<string> | undefined;

  async function refresh(): Promise<string> {
    try {
      const value = await read();
      cached = { value, at: now() };
      pausedUntil = 0;
      return value;
    } catch (error) {
      const t = now();
      if (cached && t - cached.at < 2 * ttlMs) {
        pausedUntil = t + Math.min(ttlMs, MAX_RETRY_PAUSE_MS);
        options.onRefreshError?.(error as SecretLoadError, { staleForMs: cached.at + 2 * ttlMs - t });
        return cached.value;
      }
      throw error;
    }
  }

  const startRefresh = (): Promise<string> =>
    (inflight ??= refresh().finally(() => {
      inflight = undefined;
    }));

  return function perkamoApiKey(): string | Promise<string> {
    const t = now();
    if (cached && t - cached.at < ttlMs) return cached.value;
    if (cached && t - cached.at < 2 * ttlMs) {
      // Refreshed in the background; a refresh that fails serves the key it holds (refresh above).
      if (t >= pausedUntil) startRefresh().catch(() => {});
      return cached.value;
    }
    return startRefresh();
  };
}

/** A source's read, in two steps: loading its AWS SDK client (this process's work), then asking AWS. */
interface Reader {
  load(): Promise<void>;
  read(signal: AbortSignal): Promise<string>;
}

/**
 * One read, given up (and aborted) after `timeoutMs`, failing with an error that names the source
 * and the wait. Only AWS's answer is held to it: loading the AWS SDK is the process's own work
 * (seconds on a loaded machine, where a Managed Instance's workers all load it at once), which the
 * Perkamo client holds to the invocation's deadline like every key lookup.
 */
async function readWithin(reader: Reader, timeoutMs: number, kind: 'secrets-manager' | 'ssm', id: string): Promise<string> {
  await reader.load();
  const controller = new AbortController();
  const sm = kind === 'secrets-manager';
  return withinDeadline(reader.read(controller.signal), Date.now() + timeoutMs, () => {
    controller.abort();
    return new SecretLoadError(
      kind,
      id,
      `Could not read the Perkamo server key from ${sm ? 'Secrets Manager secret' : 'SSM parameter'} ${id}: no answer within ${timeoutMs} ms; ` +
        `check that the function can reach ${sm ? 'Secrets Manager' : 'SSM'} (from a VPC: a VPC endpoint or a NAT gateway)`,
    );
  });
}

/** A source read through its AWS SDK client: the module loaded once, then one command per read. */
function awsReader<Sdk, Output>(
  kind: 'secrets-manager' | 'ssm',
  id: string,
  given: AwsClient<Output> | undefined,
  sdkOf: () => Promise<Sdk>,
  clientOf: (sdk: Sdk) => AwsClient<Output>,
  commandOf: (sdk: Sdk) => unknown,
  keyOf: (output: Output) => string,
): Reader {
  let client = given;
  let sdk: Sdk | undefined;
  return {
    async load() {
      try {
        sdk ??= await sdkOf();
        client ??= clientOf(sdk);
      } catch (error) {
        throw awsError(kind, id, error);
      }
    },
    async read(signal) {
      let output: Output;
      try {
        output = await client!.send(commandOf(sdk!) as never, { abortSignal: signal });
      } catch (error) {
        throw awsError(kind, id, error);
      }
      return keyOf(output);
    },
  };
}

function secretsManagerReader(arn: string, given: ApiKeySupplierOptions['secretsManager']): Reader {
  return awsReader(
    'secrets-manager',
    arn,
    given,
    () => import('@aws-sdk/client-secrets-manager'),
    (sdk) => new sdk.SecretsManagerClient({}),
    (sdk) => new sdk.GetSecretValueCommand({ SecretId: arn }),
    (output) => {
      if (output.SecretString === undefined && output.SecretBinary !== undefined) {
        throw new SecretLoadError('secrets-manager', arn, `Secrets Manager secret ${arn} is stored as binary; store the Perkamo server key as a string (SecretString)`);
      }
      return keyFrom('secrets-manager', arn, output.SecretString);
    },
  );
}

function ssmReader(name: string, given: ApiKeySupplierOptions['ssm']): Reader {
  return awsReader(
    'ssm',
    name,
    given,
    () => import('@aws-sdk/client-ssm'),
    (sdk) => new sdk.SSMClient({}),
    (sdk) => new sdk.GetParameterCommand({ Name: name, WithDecryption: true }),
    (output) => keyFrom('ssm', name, output.Parameter?.Value),
  );
}

/** Extracts the key from a secret string: the raw key, or JSON `{ "PERKAMO_SECRET_KEY": "…" }`. */
function keyFrom(source: 'secrets-manager' | 'ssm', id: string, raw: string | undefined): string {
  const what = source === 'secrets-manager' ? `Secrets Manager secret ${id}` : `SSM parameter ${id}`;
  const text = raw?.trim() ?? '';
  if (text === '') {
    throw new SecretLoadError(source, id, `${what} has no value (empty or missing); store the Perkamo server key (sk_…) in it`);
  }
  let key = text;
  if (text.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      // No cause: the parser's message can quote the secret.
      throw new SecretLoadError(source, id, `${what} starts with "{" but is not valid JSON; store the key itself, or JSON like {"${SECRET_JSON_FIELD}":"sk_…"}`);
    }
    const field = (parsed as Record<string, unknown> | null)?.[SECRET_JSON_FIELD];
    if (typeof field !== 'string' || field.trim() === '') {
      const names = parsed !== null && typeof parsed === 'object' ? Object.keys(parsed).slice(0, 10).map((k) => JSON.stringify(k.slice(0, 40))) : [];
      throw new SecretLoadError(
        source,
        id,
        `${what} is JSON without a non-empty string field "${SECRET_JSON_FIELD}" (fields found: ${names.join(', ') || 'none'}); ` +
          `add the key under "${SECRET_JSON_FIELD}", or store the key itself as the whole value`,
      );
    }
    key = field.trim();
  }
  if (key.startsWith('pk_')) {
    throw new SecretLoadError(source, id, `${what} holds a browser key (pk_…); store the Perkamo server key (sk_…) instead`);
  }
  return key;
}

function awsError(source: 'secrets-manager' | 'ssm', id: string, error: unknown): SecretLoadError {
  const name = typeof (error as { name?: unknown } | null)?.name === 'string' ? (error as { name: string }).name : undefined;
  const detail = error instanceof Error && error.message ? `${name ?? 'Error'}: ${error.message}` : String(name ?? error);
  const sm = source === 'secrets-manager';
  const what = sm ? `Secrets Manager secret ${id}` : `SSM parameter ${id}`;
  const permission = sm ? 'secretsmanager:GetSecretValue' : 'ssm:GetParameter';
  let fix: string;
  if (name === 'ResourceNotFoundException' || name === 'ParameterNotFound' || name === 'ParameterVersionNotFound') {
    fix = `check the ${sm ? 'ARN or name' : 'parameter name'} and that it lives in the function's region and account`;
  } else if (name === 'DecryptionFailure' || name === 'InvalidKeyId' || name === 'KMSAccessDeniedException' || /kms/i.test(detail)) {
    fix = `grant the function's role kms:Decrypt on the KMS key that encrypts it (a customer-managed key needs it in the key policy too)`;
  } else if (name === 'AccessDeniedException' || name === 'UnrecognizedClientException' || /not authorized|access ?denied/i.test(detail)) {
    fix = `grant the function's role ${permission} on it (and kms:Decrypt when it is encrypted with a customer-managed KMS key)`;
  } else {
    fix =
      `check that the function's role has ${permission} on it (and kms:Decrypt for a customer-managed KMS key), ` +
      `and that the function can reach ${sm ? 'Secrets Manager' : 'SSM'} (from a VPC: a VPC endpoint or a NAT gateway)`;
  }
  return new SecretLoadError(source, id, `Could not read the Perkamo server key from ${what} (${detail}); ${fix}`, {
    cause: error,
    ...(name === undefined ? {} : { awsErrorName: name }),
  });
}
