// A loopback stand-in for AWS Secrets Manager's GetSecretValue, so a function deployed with
// PERKAMO_SECRET_ARN reads its key through the real AWS SDK path: the harness only adds
// AWS_ENDPOINT_URL_SECRETS_MANAGER (the SDK's own per-service endpoint variable) pointing here.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readBody } from '../../src/emulator/http-body.ts';

export interface SecretsManagerStandIn {
  url: string;
  /** The environment that points the AWS SDK at this stand-in. */
  env: Record<string, string>;
  /** SecretIds asked for, in order. */
  requests: string[];
  /** While on, requests are taken (and counted) but never answered: a Secrets Manager that hangs. */
  hang(on: boolean): void;
  close(): Promise<void>;
}

const maxBodyBytes = 64 * 1024;

/** Serves `secrets` (secret name or ARN → SecretString). Unknown ids get ResourceNotFoundException. */
export async function startSecretsManager(secrets: Record<string, string>): Promise<SecretsManagerStandIn> {
  const requests: string[] = [];
  let hanging = false;
  const server = createServer(async (req, res) => {
    const answer = (status: number, body: unknown) =>
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(body));
    const { body, tooLarge } = await readBody(req, maxBodyBytes).catch(() => ({ body: Buffer.alloc(0), tooLarge: true }));
    if (tooLarge) return answer(413, { __type: 'SerializationException', message: `body over ${maxBodyBytes} bytes` });
    if (req.headers['x-amz-target'] !== 'secretsmanager.GetSecretValue') {
      return answer(400, { __type: 'UnknownOperationException', message: `not served here: ${req.headers['x-amz-target']}` });
    }
    let id: unknown;
    try {
      id = (JSON.parse(body.toString('utf8')) as { SecretId?: unknown }).SecretId;
    } catch {
      return answer(400, { __type: 'SerializationException', message: 'body is not JSON' });
    }
    requests.push(String(id));
    if (hanging) return;
    const value = typeof id === 'string' ? secrets[id] : undefined;
    if (value === undefined) {
      return answer(400, { __type: 'ResourceNotFoundException', message: "Secrets Manager can't find the specified secret." });
    }
    answer(200, {
      ARN: `arn:aws:secretsmanager:eu-central-1:123456789012:secret:${String(id)}-AbCdEf`,
      Name: id,
      SecretString: value,
      VersionId: '00000000-0000-0000-0000-000000000001',
      VersionStages: ['AWSCURRENT'],
      CreatedDate: Date.now() / 1000,
    });
  });
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    env: { AWS_ENDPOINT_URL_SECRETS_MANAGER: url },
    requests,
    hang: (on) => void (hanging = on),
    close: () =>
      new Promise<void>((closed) => {
        server.closeAllConnections();
        server.close(() => closed());
      }),
  };
}
