// The credentials a signed export uses: the function's own execution role, as Lambda hands it.
// On-demand Lambda puts it in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN for the
// environment's life. Where Lambda serves it from a container credentials endpoint instead
// (AWS_CONTAINER_CREDENTIALS_FULL_URI with AWS_CONTAINER_AUTHORIZATION_TOKEN, as with SnapStart —
// and, we expect, Lambda Managed Instances, whose environments outlive any one set of session
// credentials) the endpoint wins: it is the source that refreshes. Its answer is fetched within the
// export's deadline and kept until five minutes before it expires.
// Part of otel-export.mjs: loaded by the first export. The AWS SDK's provider chain is not used:
// it would bring a dozen packages (and the SDK's own retries) into the layer for two code paths.
import type { Env } from './config.ts';

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  /** When the credentials stop working (container credentials); undefined: as long as the environment. */
  expiration?: Date;
}

/** A failure to obtain credentials: nothing was sent, so the spans may go with a later export. */
export class CredentialsError extends Error {
  readonly transient = true;
  constructor(message: string) {
    super(message);
    this.name = 'CredentialsError';
  }
}

/** Refreshed this long before they expire, as the AWS SDK does (5 minutes). */
const refreshBeforeMs = 5 * 60_000;
/** Without an Expiration in the answer: asked again after this long. */
const unknownExpiryMs = 15 * 60_000;
/** A credentials answer is a few hundred bytes. */
const maxBodyBytes = 16 * 1024;
/** The endpoint is on the instance: it answers in milliseconds or not at all. */
const maxWaitMs = 2_000;
/** The link-local addresses AWS serves container credentials on, the only plain-http hosts besides loopback (as in the AWS SDK). */
const containerHosts = new Set(['169.254.170.2', '169.254.170.23', '[fd00:ec2::23]']);

export interface CredentialsSource {
  /** The credentials to sign with now, fetched (within `deadline`, an epoch ms) when needed. */
  get(deadline: number): Promise<AwsCredentials>;
}

export function credentialsSource(env: Env = process.env, readFile: (path: string) => Promise<string> = readText): CredentialsSource {
  let cached: AwsCredentials | undefined;
  let pending: Promise<AwsCredentials> | undefined;
  return {
    async get(deadline) {
      // Read at every export, not at init: the variables are the source of truth while set.
      const accessKeyId = env.AWS_ACCESS_KEY_ID?.trim();
      const secretAccessKey = env.AWS_SECRET_ACCESS_KEY?.trim();
      const endpoint = env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI?.trim() || env.AWS_CONTAINER_CREDENTIALS_FULL_URI?.trim();
      if (accessKeyId && secretAccessKey && !endpoint) {
        return { accessKeyId, secretAccessKey, sessionToken: env.AWS_SESSION_TOKEN?.trim() || undefined };
      }
      if (cached && (cached.expiration?.getTime() ?? Infinity) - refreshBeforeMs > Date.now()) return cached;
      pending ??= fromContainer(env, deadline, readFile).finally(() => (pending = undefined));
      cached = await pending;
      return cached;
    },
  };
}

async function fromContainer(env: Env, deadline: number, readFile: (path: string) => Promise<string>): Promise<AwsCredentials> {
  const url = containerUrl(env);
  const headers: Record<string, string> = {};
  const token = env.AWS_CONTAINER_AUTHORIZATION_TOKEN?.trim();
  const tokenFile = env.AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE?.trim();
  if (tokenFile) {
    try {
      headers.authorization = (await readFile(tokenFile)).trim();
    } catch (error) {
      throw new CredentialsError(`AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE could not be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  } else if (token) headers.authorization = token;
  const { status, body } = await getBounded(url, headers, Math.min(deadline, Date.now() + maxWaitMs));
  if (status !== 200) throw new CredentialsError(`the container credentials endpoint answered HTTP ${status}`);
  let answer: Record<string, unknown>;
  try {
    answer = JSON.parse(body) as Record<string, unknown>;
  } catch {
    throw new CredentialsError('the container credentials endpoint answered something other than JSON');
  }
  const { AccessKeyId, SecretAccessKey, Token, Expiration } = answer;
  if (typeof AccessKeyId !== 'string' || !AccessKeyId || typeof SecretAccessKey !== 'string' || !SecretAccessKey) {
    throw new CredentialsError('the container credentials endpoint answered without AccessKeyId and SecretAccessKey');
  }
  const expires = typeof Expiration === 'string' ? new Date(Expiration) : undefined;
  return {
    accessKeyId: AccessKeyId,
    secretAccessKey: SecretAccessKey,
    sessionToken: typeof Token === 'string' && Token ? Token : undefined,
    expiration: expires && !Number.isNaN(expires.getTime()) ? expires : new Date(Date.now() + unknownExpiryMs + refreshBeforeMs),
  };
}

function containerUrl(env: Env): URL {
  const relative = env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI?.trim();
  if (relative) return new URL(relative, 'http://169.254.170.2');
  const full = env.AWS_CONTAINER_CREDENTIALS_FULL_URI?.trim();
  if (!full) {
    throw new CredentialsError(
      'no AWS credentials to sign the export with: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are unset and so is AWS_CONTAINER_CREDENTIALS_FULL_URI (set PERKAMO_OTEL_SIGV4=off for an endpoint that needs no signature)',
    );
  }
  let url: URL;
  try {
    url = new URL(full);
  } catch {
    throw new CredentialsError('AWS_CONTAINER_CREDENTIALS_FULL_URI is not a URL');
  }
  // Plain http only to the instance itself: credentials never cross a network unencrypted.
  const local = url.hostname === 'localhost' || url.hostname === '[::1]' || url.hostname.startsWith('127.') || containerHosts.has(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && local)) {
    throw new CredentialsError(`AWS_CONTAINER_CREDENTIALS_FULL_URI: ${url.protocol}//${url.hostname} is neither https nor a loopback or container-credentials address`);
  }
  return url;
}

async function getBounded(url: URL, headers: Record<string, string>, deadline: number): Promise<{ status: number; body: string }> {
  const { request } = url.protocol === 'https:' ? await import('node:https') : await import('node:http');
  return new Promise((resolve, reject) => {
    const fail = (message: string) => {
      clearTimeout(timer);
      req.destroy();
      reject(new CredentialsError(message));
    };
    const timer = setTimeout(() => fail('the container credentials endpoint did not answer in time'), Math.max(0, deadline - Date.now()));
    const req = request(url, { method: 'GET', headers }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBodyBytes) fail(`the container credentials endpoint's answer is over ${maxBodyBytes} bytes`);
        else chunks.push(chunk);
      });
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', (error) => fail(`the container credentials endpoint: ${error.message}`));
    });
    req.on('error', (error) => fail(`the container credentials endpoint: ${error.message}`));
    req.end();
  });
}

async function readText(path: string): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  return readFile(path, 'utf8');
}
