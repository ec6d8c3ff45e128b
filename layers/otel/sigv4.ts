// AWS Signature Version 4 for OTLP exports, by AWS's own signer (@smithy/signature-v4: what the AWS
// SDK and ADOT's OTLP exporter sign with), so no canonical-request code of ours decides whether
// CloudWatch takes the spans. Part of otel-export.mjs: loaded by the first export, never at cold start.
import { SignatureV4 } from '@smithy/signature-v4';
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import type { Sigv4Config } from './config.ts';
import type { AwsCredentials, CredentialsSource } from './credentials.ts';

/** The signer's hash: SHA-256, or HMAC-SHA256 when given a key (the @smithy/types Checksum shape). */
export class Sha256 {
  private readonly hash: Hash | Hmac;
  constructor(secret?: SourceData) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: SourceData): void {
    this.hash.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return this.hash.digest();
  }
}

type SourceData = string | ArrayBuffer | ArrayBufferView;

const bytes = (data: SourceData): string | Uint8Array =>
  typeof data === 'string' ? data : ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data);

export interface SignedRequest {
  url: URL;
  headers: Record<string, string>;
  body: Uint8Array;
}

export interface RequestSigner {
  /** The headers to send: `headers` plus host, x-amz-date, x-amz-security-token, x-amz-content-sha256, authorization. */
  sign(request: SignedRequest, deadline: number): Promise<Record<string, string>>;
  /** The secrets signing used last (to keep them out of anything logged). */
  readonly secrets: readonly string[];
}

export function requestSigner(config: Sigv4Config, credentials: CredentialsSource): RequestSigner {
  let current: AwsCredentials | undefined;
  // One signer for the process: it caches the derived signing key per day, region and service.
  const signer = new SignatureV4({
    service: config.service,
    region: config.region,
    sha256: Sha256,
    credentials: async () => current!,
  });
  return {
    get secrets() {
      return current ? [current.accessKeyId, current.secretAccessKey, current.sessionToken ?? ''].filter(Boolean) : [];
    },
    async sign({ url, headers, body }, deadline) {
      current = await credentials.get(deadline);
      const signed = await signer.sign({
        method: 'POST',
        protocol: url.protocol,
        hostname: url.hostname,
        port: url.port ? Number(url.port) : undefined,
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        // `host` is what Node sends (url.host); SigV4 requires it signed.
        headers: { ...headers, host: url.host },
        body,
      });
      return signed.headers;
    },
  };
}
