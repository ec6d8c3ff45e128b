// The harness's SigV4 verifier (aws4 underneath) accepts what AWS's own signer signed — AWS's
// published test vectors — and what the layer's signer (@smithy/signature-v4) signs, and refuses
// each kind of bad request as AWS does: one thing changed, one refusal, with AWS's status and type.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '../../layers/otel/sigv4.ts';
import { afterAll, describe, expect, it } from 'vitest';
import { lambdaCredentials } from '../../dev/harness/bootstrap.ts';
import { verifySigV4, type SigV4Credentials, type SigV4Expectation, type SigV4Refusal, type SigV4Request, type SigV4Verdict } from '../../dev/harness/sigv4-verify.ts';

const minute = 60_000;
const mismatch =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.';
const invalidToken = 'The security token included in the request is invalid.';

const refused = (status: number, type: string, message?: string | RegExp) =>
  expect.objectContaining({ ok: false, status, type, ...(message === undefined ? {} : { message: typeof message === 'string' ? message : expect.stringMatching(message) }) });

/** Every refusal the tests see: after them, none may carry a secret or a session token. */
const refusals: SigV4Refusal[] = [];
function verify(request: SigV4Request, expected: SigV4Expectation, now?: number): SigV4Verdict {
  const verdict = verifySigV4(request, expected, now);
  if (!verdict.ok) refusals.push(verdict);
  return verdict;
}

function withHeaders(request: SigV4Request, change: Record<string, string | string[] | undefined>): SigV4Request {
  return { ...request, headers: { ...request.headers, ...change } };
}

// --- AWS's test vectors (test/fixtures/sigv4, from awslabs/aws-c-auth) --------------------------

interface Vector {
  name: string;
  request: SigV4Request;
  expected: SigV4Expectation;
  /** The time the vector was signed at. */
  signedAt: number;
  signedHeaders: string[];
}

const fixtures = new URL('../fixtures/sigv4/', import.meta.url);

/** A vector's header-signed-request.txt read as a server reads it: repeated headers kept apart, folded lines joined. */
function loadVector(name: string): Vector {
  const context = JSON.parse(readFileSync(new URL(`${name}/context.json`, fixtures), 'utf8'));
  const text = readFileSync(new URL(`${name}/header-signed-request.txt`, fixtures), 'utf8');
  const end = text.indexOf('\n\n');
  const [requestLine = '', ...lines] = text.slice(0, end).split('\n');
  const method = requestLine.slice(0, requestLine.indexOf(' '));
  const path = requestLine.slice(method.length + 1, requestLine.lastIndexOf(' '));
  const headers: Record<string, string[]> = {};
  let last = '';
  for (const line of lines) {
    if (/^\s/.test(line)) {
      const values = headers[last]!;
      values[values.length - 1] += `\n${line}`;
      continue;
    }
    const colon = line.indexOf(':');
    last = line.slice(0, colon).toLowerCase();
    (headers[last] ??= []).push(line.slice(colon + 1));
  }
  const signedHeaders = /SignedHeaders=([^,]+)/.exec(headers.authorization?.[0] ?? '')?.[1]?.split(';');
  if (!signedHeaders) throw new Error(`${name}: no SignedHeaders in its Authorization header`);
  const credentials: SigV4Credentials = { accessKeyId: context.credentials.access_key_id, secretAccessKey: context.credentials.secret_access_key };
  if (context.credentials.token) credentials.sessionToken = context.credentials.token;
  return {
    name,
    request: { method, path, headers, body: Buffer.from(text.slice(end + 2)) },
    expected: { region: context.region, service: context.service, credentials },
    signedAt: Date.parse(context.timestamp),
    signedHeaders,
  };
}

afterAll(() => {
  const secrets = [lambdaCredentials, ...vectors.map((v) => v.expected.credentials)].flatMap((c) => [c.secretAccessKey, c.sessionToken ?? []].flat());
  for (const refusal of refusals) {
    for (const secret of secrets) expect(refusal.message, `${refusal.type} names a secret or token`).not.toContain(secret);
  }
});

const vectors = readdirSync(fixtures)
  .filter((name) => statSync(new URL(name, fixtures)).isDirectory())
  .map(loadVector);
/** The one vector whose session token is sent but not signed: see its own test. */
const unsignedToken = 'post-sts-header-after';
const accepted = vectors.filter((v) => v.name !== unsignedToken);

describe("AWS's SigV4 test vectors", () => {
  it('are all there', () => {
    expect(vectors.map((v) => v.name).sort()).toEqual([
      'get-header-key-duplicate',
      'get-header-value-multiline',
      'get-header-value-trim',
      'get-relative-relative-normalized',
      'get-slashes-normalized',
      'get-vanilla-query-order-encoded',
      'get-vanilla-query-order-key-case',
      'get-vanilla-with-session-token',
      'post-sts-header-after',
      'post-sts-header-before',
      'post-x-www-form-urlencoded',
    ]);
  });

  it.each(accepted.map((v) => [v.name, v] as const))('%s: accepted at its signing time and up to 5 minutes either side', (_, v) => {
    expect(verify(v.request, v.expected, v.signedAt)).toEqual({ ok: true });
    expect(verify(v.request, v.expected, v.signedAt + 5 * minute)).toEqual({ ok: true });
    expect(verify(v.request, v.expected, v.signedAt - 5 * minute)).toEqual({ ok: true });
  });

  it.each(accepted.map((v) => [v.name, v] as const))('%s: refused with any signed header changed', (_, v) => {
    for (const name of v.signedHeaders) {
      const [first = '', ...others] = (v.request.headers[name] as string[] | undefined) ?? [];
      // A changed token is a wrong credential, not a wrong signature; the date moves by one second.
      const changed = name === 'x-amz-date' ? '20150830T123601Z' : `${first}x`;
      const verdict = verify(withHeaders(v.request, { [name]: [changed, ...others] }), v.expected, v.signedAt);
      if (name === 'x-amz-security-token') expect(verdict, name).toEqual(refused(403, 'UnrecognizedClientException', invalidToken));
      else expect(verdict, name).toEqual(refused(403, 'InvalidSignatureException', mismatch));
    }
  });

  it.each(accepted.map((v) => [v.name, v] as const))('%s: refused with its body, path, secret or access key changed', (_, v) => {
    expect(verify({ ...v.request, body: Buffer.concat([v.request.body, Buffer.from('x')]) }, v.expected, v.signedAt)).toEqual(
      refused(403, 'InvalidSignatureException', mismatch),
    );
    const path = v.request.path.includes('?') ? `${v.request.path}&extra=1` : `${v.request.path}extra`;
    expect(verify({ ...v.request, path }, v.expected, v.signedAt)).toEqual(refused(403, 'InvalidSignatureException', mismatch));
    const wrongSecret = { ...v.expected, credentials: { ...v.expected.credentials, secretAccessKey: 'not-the-secret-the-vector-was-signed-with' } };
    expect(verify(v.request, wrongSecret, v.signedAt)).toEqual(refused(403, 'InvalidSignatureException', mismatch));
    const otherKey = { ...v.expected, credentials: { ...v.expected.credentials, accessKeyId: 'AKIDOTHER' } };
    expect(verify(v.request, otherKey, v.signedAt)).toEqual(refused(403, 'UnrecognizedClientException', invalidToken));
  });

  it.each(accepted.map((v) => [v.name, v] as const))('%s: refused past 5 minutes either side, or for another region or service', (_, v) => {
    expect(verify(v.request, v.expected, v.signedAt + 5 * minute + 1_000)).toEqual(
      refused(403, 'InvalidSignatureException', 'Signature expired: 20150830T123600Z is now earlier than 20150830T123601Z (20150830T124101Z - 5 min.)'),
    );
    expect(verify(v.request, v.expected, v.signedAt - 5 * minute - 1_000)).toEqual(
      refused(403, 'InvalidSignatureException', 'Signature not yet current: 20150830T123600Z is still later than 20150830T123559Z (20150830T123059Z + 5 min.)'),
    );
    expect(verify(v.request, { ...v.expected, region: 'eu-west-1' }, v.signedAt)).toEqual(
      refused(403, 'InvalidSignatureException', 'Credential should be scoped to a valid region.'),
    );
    expect(verify(v.request, { ...v.expected, service: 'xray' }, v.signedAt)).toEqual(
      refused(403, 'InvalidSignatureException', "Credential should be scoped to correct service: 'xray'."),
    );
    expect(verify(withHeaders(v.request, { authorization: undefined }), v.expected, v.signedAt)).toEqual(
      refused(403, 'MissingAuthenticationTokenException', 'Missing Authentication Token'),
    );
  });

  it('query parameters: their order on the wire does not matter, their values do', () => {
    const v = vectors.find((x) => x.name === 'get-vanilla-query-order-key-case')!;
    expect(v.request.path).toBe('/?Param2=value2&Param1=value1');
    expect(verify({ ...v.request, path: '/?Param1=value1&Param2=value2' }, v.expected, v.signedAt)).toEqual({ ok: true });
    expect(verify({ ...v.request, path: '/?Param2=value1&Param1=value2' }, v.expected, v.signedAt)).toEqual(refused(403, 'InvalidSignatureException', mismatch));
  });

  it("repeated headers: each value trimmed, joined with commas in the order received; node's ', '-joined form does not verify", () => {
    const v = vectors.find((x) => x.name === 'get-header-key-duplicate')!;
    expect(v.request.headers['my-header1']).toEqual(['value2', 'value2', 'value1']);
    expect(verify(withHeaders(v.request, { 'my-header1': [' value2 ', 'value2', '  value1'] }), v.expected, v.signedAt)).toEqual({ ok: true });
    expect(verify(withHeaders(v.request, { 'my-header1': ['value2', 'value1', 'value2'] }), v.expected, v.signedAt)).toEqual(refused(403, 'InvalidSignatureException', mismatch));
    expect(verify(withHeaders(v.request, { 'my-header1': 'value2, value2, value1' }), v.expected, v.signedAt)).toEqual(refused(403, 'InvalidSignatureException', mismatch));
  });

  it('header values: runs of spaces inside count as one, none of them as none', () => {
    const v = vectors.find((x) => x.name === 'get-header-value-trim')!;
    expect(v.request.headers['my-header2']).toEqual([' "a   b   c"']);
    expect(verify(withHeaders(v.request, { 'my-header2': '"a b c"' }), v.expected, v.signedAt)).toEqual({ ok: true });
    expect(verify(withHeaders(v.request, { 'my-header2': '"abc"' }), v.expected, v.signedAt)).toEqual(refused(403, 'InvalidSignatureException', mismatch));
  });

  it('paths: normalised before signing (// and ..), so the normalised path verifies too', () => {
    const slashes = vectors.find((x) => x.name === 'get-slashes-normalized')!;
    expect(slashes.request.path).toBe('//example//');
    expect(verify({ ...slashes.request, path: '/example/' }, slashes.expected, slashes.signedAt)).toEqual({ ok: true });
    const relative = vectors.find((x) => x.name === 'get-relative-relative-normalized')!;
    expect(relative.request.path).toBe('/example1/example2/../..');
    expect(verify({ ...relative.request, path: '/' }, relative.expected, relative.signedAt)).toEqual({ ok: true });
  });

  it('session token: refused when missing, different or expected by nobody', () => {
    for (const v of vectors.filter((x) => x.expected.credentials.sessionToken && x.name !== unsignedToken)) {
      expect(verify(withHeaders(v.request, { 'x-amz-security-token': undefined }), v.expected, v.signedAt), v.name).toEqual(
        refused(403, 'UnrecognizedClientException', invalidToken),
      );
      const otherToken = { ...v.expected, credentials: { ...v.expected.credentials, sessionToken: 'another-token' } };
      expect(verify(v.request, otherToken, v.signedAt), v.name).toEqual(refused(403, 'UnrecognizedClientException', invalidToken));
      const longTermKey = { ...v.expected, credentials: { accessKeyId: v.expected.credentials.accessKeyId, secretAccessKey: v.expected.credentials.secretAccessKey } };
      expect(verify(v.request, longTermKey, v.signedAt), v.name).toEqual(refused(403, 'UnrecognizedClientException', invalidToken));
    }
  });

  it(`${unsignedToken}: a session token sent but not signed is refused; the same request without it verifies for a long-term key`, () => {
    const v = vectors.find((x) => x.name === unsignedToken)!;
    expect(v.signedHeaders).not.toContain('x-amz-security-token');
    expect(v.request.headers['x-amz-security-token']).toEqual([v.expected.credentials.sessionToken]);
    expect(verify(v.request, v.expected, v.signedAt)).toEqual(refused(403, 'UnrecognizedClientException', invalidToken));
    const withoutToken = withHeaders(v.request, { 'x-amz-security-token': undefined });
    const longTermKey = { ...v.expected, credentials: { accessKeyId: v.expected.credentials.accessKeyId, secretAccessKey: v.expected.credentials.secretAccessKey } };
    expect(verify(withoutToken, longTermKey, v.signedAt)).toEqual({ ok: true });
  });

  it('post-x-www-form-urlencoded: an x-amz-content-sha256 that is not the body hash is refused', () => {
    const v = vectors.find((x) => x.name === 'post-x-www-form-urlencoded')!;
    expect(v.request.headers['x-amz-content-sha256']).toEqual([createHash('sha256').update(v.request.body).digest('hex')]);
    // Body and claimed hash changed together still fail: the claimed hash is signed.
    const body = Buffer.from('Param1=value2');
    const claimed = createHash('sha256').update(body).digest('hex');
    expect(verify(withHeaders({ ...v.request, body }, { 'x-amz-content-sha256': claimed }), v.expected, v.signedAt)).toEqual(
      refused(403, 'InvalidSignatureException', mismatch),
    );
    expect(verify({ ...v.request, body }, v.expected, v.signedAt)).toEqual(refused(403, 'InvalidSignatureException', mismatch));
  });
});

// --- What the layer's signer signs --------------------------------------------------------------

const region = 'eu-west-1';
const host = `xray.${region}.amazonaws.com`;
const expected: SigV4Expectation = { region, service: 'xray', credentials: lambdaCredentials };
const now = Date.parse('2026-05-04T10:20:30Z');
const exportBody = gzipSync(Buffer.from('\n\x1f\n\x1d\n\x1b\n\x19service.name\x12\x07\n\x05emit!'));

interface SignOptions {
  credentials?: SigV4Credentials;
  region?: string;
  service?: string;
  signedAt?: number;
  body?: Buffer;
  headers?: Record<string, string>;
  unsignableHeaders?: string[];
  /** Headers signed though the signer would not sign them by default. */
  signableHeaders?: string[];
  /** Whether the signer adds x-amz-content-sha256 (its default: yes). */
  applyChecksum?: boolean;
}

/** A POST /v1/traces as the layer sends it to CloudWatch: protobuf, gzip, signed with the function's credentials. */
async function signExport(options: SignOptions = {}): Promise<SigV4Request> {
  const body = options.body ?? exportBody;
  const signer = new SignatureV4({
    service: options.service ?? 'xray',
    region: options.region ?? region,
    credentials: options.credentials ?? lambdaCredentials,
    sha256: Sha256,
    applyChecksum: options.applyChecksum ?? true,
  });
  const signed = await signer.sign(
    {
      method: 'POST',
      protocol: 'https:',
      hostname: host,
      path: '/v1/traces',
      query: {},
      headers: {
        host,
        'content-type': 'application/x-protobuf',
        'content-encoding': 'gzip',
        'content-length': String(body.length),
        ...options.headers,
      },
      body,
    },
    { signingDate: new Date(options.signedAt ?? now), unsignableHeaders: new Set(options.unsignableHeaders ?? []), signableHeaders: new Set(options.signableHeaders ?? []) },
  );
  const headers = Object.fromEntries(Object.entries(signed.headers).map(([name, value]) => [name.toLowerCase(), value]));
  return { method: 'POST', path: '/v1/traces', headers, body };
}

function authorization(request: SigV4Request): string {
  return String(request.headers.authorization);
}

describe('requests signed by @smithy/signature-v4 (the layer)', () => {
  it('a gzip protobuf export with a session token is accepted, and it signed what matters', async () => {
    const request = await signExport();
    expect(authorization(request)).toMatch(
      /^AWS4-HMAC-SHA256 Credential=ASIAHARNESSLOCAL0000\/20260504\/eu-west-1\/xray\/aws4_request, SignedHeaders=content-encoding;content-length;content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token, Signature=[0-9a-f]{64}$/,
    );
    expect(verify(request, expected, now)).toEqual({ ok: true });
  });

  it("is accepted with headers as node's headersDistinct gives them, without x-amz-content-sha256, and with unsigned headers added", async () => {
    const request = await signExport();
    expect(request.headers['x-amz-content-sha256']).toBe(createHash('sha256').update(exportBody).digest('hex'));
    const distinct = Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name, [String(value)]]));
    expect(verify({ ...request, headers: distinct }, expected, now)).toEqual({ ok: true });
    const unhashed = await signExport({ applyChecksum: false });
    expect(authorization(unhashed)).not.toContain('x-amz-content-sha256');
    expect(verify(unhashed, expected, now)).toEqual({ ok: true });
    expect(verify({ ...unhashed, body: gzipSync(Buffer.from('other spans')) }, expected, now)).toEqual(refused(403, 'InvalidSignatureException', mismatch));
    expect(verify(withHeaders(request, { 'user-agent': 'perkamo-otel', 'x-amzn-trace-id': 'Root=1-5759e988-bd862e3fe1be46a994272793' }), expected, now)).toEqual({ ok: true });
  });

  it('headers aws4 leaves out of a signature by default (range, user-agent) count when the client signed them', async () => {
    const request = await signExport({ headers: { range: 'bytes=0-99', 'user-agent': 'perkamo-otel/1' }, signableHeaders: ['user-agent'] });
    expect(authorization(request)).toMatch(/SignedHeaders=[^,]*;range;user-agent;/);
    expect(verify(request, expected, now)).toEqual({ ok: true });
    expect(verify(withHeaders(request, { range: 'bytes=0-100' }), expected, now)).toEqual(refused(403, 'InvalidSignatureException', mismatch));
    expect(verify(withHeaders(request, { 'user-agent': 'other' }), expected, now)).toEqual(refused(403, 'InvalidSignatureException', mismatch));
  });

  it('no Authorization header: 403 MissingAuthenticationTokenException', async () => {
    const request = withHeaders(await signExport(), { authorization: undefined });
    expect(verify(request, expected, now)).toEqual({ ok: false, status: 403, type: 'MissingAuthenticationTokenException', message: 'Missing Authentication Token' });
  });

  it('another algorithm, or a Credential, SignedHeaders or Signature missing or malformed: 400 IncompleteSignatureException', async () => {
    const request = await signExport();
    const auth = authorization(request);
    const cases: [string, string, string | RegExp][] = [
      ['another algorithm', auth.replace('AWS4-HMAC-SHA256', 'AWS4-ECDSA-P256-SHA256'), "Unsupported AWS 'algorithm': 'AWS4-ECDSA-P256-SHA256'. Only AWS4-HMAC-SHA256 is accepted."],
      ['a bearer token', 'Bearer abc', "Unsupported AWS 'algorithm': 'Bearer'. Only AWS4-HMAC-SHA256 is accepted."],
      ['no Credential', auth.replace(/Credential=[^,]+, /, ''), "Authorization header requires 'Credential' parameter."],
      ['no SignedHeaders', auth.replace(/SignedHeaders=[^,]+, /, ''), "Authorization header requires 'SignedHeaders' parameter."],
      ['no Signature', auth.replace(/, Signature=.*$/, ''), "Authorization header requires 'Signature' parameter."],
      ['nothing', 'AWS4-HMAC-SHA256', /^Authorization header requires 'Credential' parameter\. .*'Signature'.*'SignedHeaders'/],
      ['a 4-part Credential', auth.replace('/eu-west-1/xray/', '/eu-west-1/'), /^Credential must have exactly 5 slash-delimited elements/],
      ['another terminator', auth.replace('aws4_request', 'aws5_request'), "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'."],
      ['a bad scope date', auth.replace('/20260504/', '/2026-05-04/'), "Date in Credential scope must be YYYYMMDD, got '2026-05-04'."],
      ['upper-case SignedHeaders', auth.replace('SignedHeaders=content-encoding', 'SignedHeaders=Content-Encoding'), /^SignedHeaders must be lower-case header names/],
      ['a short Signature', auth.slice(0, -1), 'Signature must be 64 lower-case hexadecimal digits.'],
    ];
    for (const [what, value, message] of cases) {
      expect(verify(withHeaders(request, { authorization: value }), expected, now), what).toEqual(refused(400, 'IncompleteSignatureException', message));
    }
    expect(verify(withHeaders(request, { authorization: [auth, auth] }), expected, now), 'two Authorization headers').toEqual(
      refused(400, 'IncompleteSignatureException', 'Expected one Authorization header, got 2.'),
    );
  });

  it('an access key id the endpoint does not know: 403 UnrecognizedClientException', async () => {
    const request = await signExport({ credentials: { ...lambdaCredentials, accessKeyId: 'ASIAOTHERKEY00000000' } });
    expect(verify(request, expected, now)).toEqual({ ok: false, status: 403, type: 'UnrecognizedClientException', message: invalidToken });
  });

  it('the session token missing, different or not signed: 403 UnrecognizedClientException', async () => {
    const { sessionToken: _, ...longTerm } = lambdaCredentials;
    expect(verify(await signExport({ credentials: longTerm }), expected, now)).toEqual(refused(403, 'UnrecognizedClientException', invalidToken));
    expect(verify(await signExport({ credentials: { ...lambdaCredentials, sessionToken: 'another-session-token' } }), expected, now)).toEqual(
      refused(403, 'UnrecognizedClientException', invalidToken),
    );
    const unsigned = await signExport({ unsignableHeaders: ['x-amz-security-token'] });
    expect(unsigned.headers['x-amz-security-token']).toBe(lambdaCredentials.sessionToken);
    expect(authorization(unsigned)).not.toContain('x-amz-security-token');
    expect(verify(unsigned, expected, now)).toEqual(refused(403, 'UnrecognizedClientException', invalidToken));
  });

  it("scoped to another region or service: 403 InvalidSignatureException naming what is valid", async () => {
    expect(verify(await signExport({ region: 'us-east-1' }), expected, now)).toEqual({
      ok: false,
      status: 403,
      type: 'InvalidSignatureException',
      message: 'Credential should be scoped to a valid region.',
    });
    expect(verify(await signExport({ service: 'logs' }), expected, now)).toEqual({
      ok: false,
      status: 403,
      type: 'InvalidSignatureException',
      message: "Credential should be scoped to correct service: 'xray'.",
    });
  });

  it('x-amz-date missing, malformed, over 5 minutes off, or on another day than the scope: 403 InvalidSignatureException', async () => {
    const request = await signExport();
    expect(verify(withHeaders(request, { 'x-amz-date': undefined }), expected, now)).toEqual(
      refused(403, 'InvalidSignatureException', "Authorization header requires existence of a 'X-Amz-Date' header."),
    );
    expect(verify(withHeaders(request, { 'x-amz-date': '2026-05-04T10:20:30Z' }), expected, now)).toEqual(
      refused(403, 'InvalidSignatureException', /^Date must be in ISO-8601 'basic format'\. Got '2026-05-04T10:20:30Z'/),
    );
    expect(verify(withHeaders(request, { 'x-amz-date': ['20260504T102030Z', '20260504T102030Z'] }), expected, now)).toEqual(
      refused(403, 'InvalidSignatureException', /^Date must be in ISO-8601 'basic format'\. Got '20260504T102030Z,20260504T102030Z'/),
    );
    expect(verify(await signExport({ signedAt: now - 6 * minute }), expected, now)).toEqual(
      refused(403, 'InvalidSignatureException', 'Signature expired: 20260504T101430Z is now earlier than 20260504T101530Z (20260504T102030Z - 5 min.)'),
    );
    expect(verify(await signExport({ signedAt: now + 6 * minute }), expected, now)).toEqual(
      refused(403, 'InvalidSignatureException', 'Signature not yet current: 20260504T102630Z is still later than 20260504T102530Z (20260504T102030Z + 5 min.)'),
    );
    // Signed a second before midnight, its date moved past it (still within 5 minutes): the scope's day no longer matches.
    const midnight = Date.parse('2026-05-05T00:00:00Z');
    const lateSigned = await signExport({ signedAt: midnight - 1_000 });
    expect(verify(lateSigned, expected, midnight)).toEqual({ ok: true });
    expect(verify(withHeaders(lateSigned, { 'x-amz-date': '20260505T000001Z' }), expected, midnight)).toEqual(
      refused(
        403,
        'InvalidSignatureException',
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20260504' != '20260505', from '20260505T000001Z'.",
      ),
    );
  });

  it('host not signed: 403 InvalidSignatureException', async () => {
    const request = await signExport({ unsignableHeaders: ['host'] });
    expect(authorization(request)).not.toMatch(/SignedHeaders=[^,]*host/);
    expect(verify(request, expected, now)).toEqual(
      refused(403, 'InvalidSignatureException', "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."),
    );
  });

  it('signed with another secret, or body, a signed header or the x-amz-content-sha256 not what was signed: 403 InvalidSignatureException', async () => {
    const wrongSecret = await signExport({ credentials: { ...lambdaCredentials, secretAccessKey: 'not-the-harness-secret' } });
    expect(verify(wrongSecret, expected, now)).toEqual({ ok: false, status: 403, type: 'InvalidSignatureException', message: mismatch });
    const request = await signExport();
    expect(verify({ ...request, body: gzipSync(Buffer.from('other spans')) }, expected, now)).toEqual(refused(403, 'InvalidSignatureException', mismatch));
    expect(verify(withHeaders(request, { 'content-type': 'application/json' }), expected, now)).toEqual(refused(403, 'InvalidSignatureException', mismatch));
    expect(verify(withHeaders(request, { 'content-encoding': undefined }), expected, now)).toEqual(refused(403, 'InvalidSignatureException', mismatch));
    expect(verify({ ...request, path: '/v1/logs' }, expected, now)).toEqual(refused(403, 'InvalidSignatureException', mismatch));
    // Signed over a claimed body hash that is not the body's: the signature itself is right.
    const lying = await signExport({ headers: { 'x-amz-content-sha256': createHash('sha256').update('other spans').digest('hex') } });
    expect(verify(lying, expected, now)).toEqual(refused(403, 'InvalidSignatureException', mismatch));
  });

  it('no refusal message names the secret key, the session token or the signature the verifier computed', async () => {
    const rightSignature = /Signature=([0-9a-f]{64})/.exec(authorization(await signExport()))![1]!;
    const { sessionToken: _, ...longTerm } = lambdaCredentials;
    const request = await signExport();
    const own = [
      verify(withHeaders(request, { authorization: undefined }), expected, now),
      verify(withHeaders(request, { authorization: authorization(request).slice(0, -1) }), expected, now),
      verify(await signExport({ credentials: { ...lambdaCredentials, accessKeyId: 'ASIAOTHERKEY00000000' } }), expected, now),
      verify(await signExport({ credentials: longTerm }), expected, now),
      verify(await signExport({ credentials: { ...lambdaCredentials, sessionToken: 'another-session-token' } }), expected, now),
      verify(await signExport({ signedAt: now - 6 * minute }), expected, now),
      verify(await signExport({ credentials: { ...lambdaCredentials, secretAccessKey: 'not-the-harness-secret' } }), expected, now),
    ];
    expect(own.map((verdict) => (verdict.ok ? 'accepted' : verdict.type))).toEqual([
      'MissingAuthenticationTokenException',
      'IncompleteSignatureException',
      'UnrecognizedClientException',
      'UnrecognizedClientException',
      'UnrecognizedClientException',
      'InvalidSignatureException',
      'InvalidSignatureException',
    ]);
    for (const refusal of own as SigV4Refusal[]) {
      for (const secret of [lambdaCredentials.secretAccessKey, lambdaCredentials.sessionToken, rightSignature]) expect(refusal.message, refusal.type).not.toContain(secret);
    }
  });
});
