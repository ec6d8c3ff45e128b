// The credentials a signed export uses: Lambda's variables, or a container credentials endpoint
// (SnapStart's, and what Lambda Managed Instances are expected to use) on loopback — its token, its
// expiry, and an endpoint that hangs, lies or is not allowed.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { credentialsSource, type CredentialsError } from '../../layers/otel/credentials.ts';
import { json, startLoopbackServer } from '../helpers/loopback-server.ts';

let endpoint: Awaited<ReturnType<typeof startLoopbackServer>>;
beforeAll(async () => {
  endpoint = await startLoopbackServer();
});
afterAll(() => endpoint.close());
beforeEach(() => endpoint.reset());

const soon = () => Date.now() + 1_000;
const answer = (expiresInMs: number, id = 'ASIACONTAINER0000001') => ({
  AccessKeyId: id,
  SecretAccessKey: 'container-secret',
  Token: 'container-session-token',
  Expiration: new Date(Date.now() + expiresInMs).toISOString(),
});

describe('credentials for signing', () => {
  it("Lambda's variables, read at each call", async () => {
    const env: Record<string, string> = { AWS_ACCESS_KEY_ID: 'ASIAONE', AWS_SECRET_ACCESS_KEY: 's1', AWS_SESSION_TOKEN: 't1' };
    const source = credentialsSource(env);
    expect(await source.get(soon())).toEqual({ accessKeyId: 'ASIAONE', secretAccessKey: 's1', sessionToken: 't1' });
    env.AWS_ACCESS_KEY_ID = 'ASIATWO';
    expect((await source.get(soon())).accessKeyId).toBe('ASIATWO');
  });

  it('the container endpoint: its token in Authorization, the answer kept until 5 minutes before it expires, then fetched again', async () => {
    endpoint.enqueue(
      (_req, res) => json(res, 200, answer(10 * 60_000, 'ASIAFIRST')),
      (_req, res) => json(res, 200, answer(3 * 60_000, 'ASIASECOND')),
      (_req, res) => json(res, 200, answer(60 * 60_000, 'ASIATHIRD')),
    );
    const source = credentialsSource({
      // Both present: the endpoint is the source that refreshes, so it wins.
      AWS_ACCESS_KEY_ID: 'ASIASTALE',
      AWS_SECRET_ACCESS_KEY: 'stale',
      AWS_CONTAINER_CREDENTIALS_FULL_URI: `${endpoint.url}/2021-04-23/credentials`,
      AWS_CONTAINER_AUTHORIZATION_TOKEN: 'container-auth-token',
    });
    const first = await source.get(soon());
    expect(first).toMatchObject({ accessKeyId: 'ASIAFIRST', secretAccessKey: 'container-secret', sessionToken: 'container-session-token' });
    expect(endpoint.requests[0]).toMatchObject({ method: 'GET', url: '/2021-04-23/credentials' });
    expect(endpoint.requests[0]!.headers.authorization).toBe('container-auth-token');
    expect((await source.get(soon())).accessKeyId).toBe('ASIAFIRST');
    expect(endpoint.requests).toHaveLength(1);
    // The second answer expires in 3 minutes — inside the refresh window: the next call asks again.
    (first.expiration as Date).setTime(Date.now() + 60_000);
    expect((await source.get(soon())).accessKeyId).toBe('ASIASECOND');
    expect((await source.get(soon())).accessKeyId).toBe('ASIATHIRD');
    expect(endpoint.requests).toHaveLength(3);
  });

  it('AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE is read for the token', async () => {
    endpoint.enqueue((_req, res) => json(res, 200, answer(60 * 60_000)));
    const source = credentialsSource(
      { AWS_CONTAINER_CREDENTIALS_FULL_URI: `${endpoint.url}/creds`, AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: '/var/run/token', AWS_CONTAINER_AUTHORIZATION_TOKEN: 'ignored' },
      async (path) => (path === '/var/run/token' ? 'from-file\n' : Promise.reject(new Error('no such file'))),
    );
    await source.get(soon());
    expect(endpoint.requests[0]!.headers.authorization).toBe('from-file');
  });

  const failure = async (env: Record<string, string>, deadline = soon()): Promise<CredentialsError> => {
    try {
      await credentialsSource(env).get(deadline);
    } catch (error) {
      return error as CredentialsError;
    }
    throw new Error('credentials were returned');
  };

  it('an endpoint that hangs is given up at the deadline; one that lies or refuses is named; nothing is echoed', async () => {
    endpoint.enqueue(() => undefined); // never answers
    const started = Date.now();
    const hung = await failure({ AWS_CONTAINER_CREDENTIALS_FULL_URI: `${endpoint.url}/c` }, Date.now() + 150);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(hung.message).toContain('did not answer in time');
    expect(hung.transient).toBe(true);

    endpoint.enqueue((_req, res) => json(res, 200, { AccessKeyId: 'ASIAX', Token: 'leaked-token' }));
    const partial = await failure({ AWS_CONTAINER_CREDENTIALS_FULL_URI: `${endpoint.url}/c` });
    expect(partial.message).toContain('without AccessKeyId and SecretAccessKey');
    expect(partial.message).not.toContain('leaked-token');

    endpoint.enqueue((_req, res) => json(res, 403, { message: 'bad token' }));
    expect((await failure({ AWS_CONTAINER_CREDENTIALS_FULL_URI: `${endpoint.url}/c` })).message).toContain('HTTP 403');

    endpoint.enqueue((_req, res) => json(res, 200, { AccessKeyId: 'A'.repeat(20_000) }));
    expect((await failure({ AWS_CONTAINER_CREDENTIALS_FULL_URI: `${endpoint.url}/c` })).message).toContain('over 16384 bytes');
  });

  it('plain http only to the instance itself; no source at all says which variables to set', async () => {
    const remote = await failure({ AWS_CONTAINER_CREDENTIALS_FULL_URI: 'http://credentials.example.com/creds' });
    expect(remote.message).toContain('neither https nor a loopback');
    const none = await failure({});
    expect(none.message).toContain('AWS_ACCESS_KEY_ID');
    expect(none.message).toContain('PERKAMO_OTEL_SIGV4=off');
  });
});
