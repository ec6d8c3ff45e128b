// Checks an AWS Signature Version 4 (Authorization header) the way an AWS endpoint does, and answers
// as it does: the harness's stand-in for CloudWatch's OTLP traces endpoint refuses what AWS refuses.
// The signature is recomputed with the `aws4` package, not with @smithy/signature-v4 that the layer
// signs with: two implementations agreeing is the evidence, one checking itself would prove nothing.
// Our own canonical-request code only picks and joins the signed headers; AWS's published test
// vectors cover it (test/harness/sigv4-verify.test.ts). aws4 takes the path as not yet encoded when it
// holds characters outside RFC 3986 (a space, '|', raw UTF-8) and encodes it once more: such a path
// never verifies here. A path on the wire has none (the OTLP one is /v1/traces).
import { createHash, timingSafeEqual } from 'node:crypto';
import aws4, { type Request as Aws4Request } from 'aws4';

export interface SigV4Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface SigV4Request {
  method: string;
  /** The request target as received: path and query. */
  path: string;
  /** Lower-case names (node's IncomingHttpHeaders, or headersDistinct: repeated headers as arrays). */
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export interface SigV4Expectation {
  region: string;
  service: string;
  /** The only credentials the endpoint knows. */
  credentials: SigV4Credentials;
}

export interface SigV4Refusal {
  ok: false;
  status: number;
  /** AWS's error code (`__type`, `x-amzn-errortype`). */
  type: string;
  message: string;
}

export type SigV4Verdict = { ok: true } | SigV4Refusal;

const algorithm = 'AWS4-HMAC-SHA256';
// unconfirmed: 5 minutes is SigV4's usual allowance; AWS's classic X-Ray API was seen allowing 15
// (aws/aws-xray-daemon#38). The stricter one here: a clock that passes here passes there.
const allowedSkewMs = 5 * 60_000;
const invalidToken = 'The security token included in the request is invalid.';
const mismatch =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.';

const refuse = (status: number, type: string, message: string): SigV4Refusal => ({ ok: false, status, type, message });
const incomplete = (message: string) => refuse(400, 'IncompleteSignatureException', message);
const invalidSignature = (message: string) => refuse(403, 'InvalidSignatureException', message);
const unrecognized = () => refuse(403, 'UnrecognizedClientException', invalidToken);

/** A header's values, each as received: repeated headers stay separate (SigV4 joins them with commas). */
function values(headers: SigV4Request['headers'], name: string): string[] | undefined {
  const value = headers[name];
  return value === undefined ? undefined : Array.isArray(value) ? value : [value];
}

/** SigV4's basic ISO 8601 form, as in x-amz-date: 20150830T123600Z. */
const basicIso = (ms: number): string => new Date(ms).toISOString().replace(/[-:]|\.\d{3}/g, '');

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

export function verifySigV4(request: SigV4Request, expected: SigV4Expectation, now: number = Date.now()): SigV4Verdict {
  const authorizations = values(request.headers, 'authorization');
  if (authorizations === undefined) return refuse(403, 'MissingAuthenticationTokenException', 'Missing Authentication Token');
  if (authorizations.length !== 1) return incomplete(`Expected one Authorization header, got ${authorizations.length}.`);

  const [, scheme = '', rest = ''] = /^(\S*)\s*(.*)$/s.exec(authorizations[0]!.trim()) ?? [];
  if (scheme !== algorithm) return incomplete(`Unsupported AWS 'algorithm': '${scheme}'. Only ${algorithm} is accepted.`);
  const params = new Map<string, string>();
  for (const part of rest.split(',')) {
    const equals = part.indexOf('=');
    if (equals > 0) params.set(part.slice(0, equals).trim(), part.slice(equals + 1).trim());
  }
  const credential = params.get('Credential');
  const signedHeadersParam = params.get('SignedHeaders');
  const signature = params.get('Signature');
  const missing = (['Credential', 'Signature', 'SignedHeaders'] as const).filter((name) => !params.get(name));
  if (missing.length > 0) return incomplete(missing.map((name) => `Authorization header requires '${name}' parameter.`).join(' '));

  const scope = credential!.split('/');
  if (scope.length !== 5) {
    return incomplete(`Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '${credential}'`);
  }
  const [accessKeyId, scopeDate, region, service, terminator] = scope as [string, string, string, string, string];
  if (terminator !== 'aws4_request') return incomplete(`Credential should be scoped with a valid terminator: 'aws4_request', not '${terminator}'.`);
  if (!/^\d{8}$/.test(scopeDate)) return incomplete(`Date in Credential scope must be YYYYMMDD, got '${scopeDate}'.`);
  if (!/^[a-z0-9!#$%&'*+.^_`|~-]+(?:;[a-z0-9!#$%&'*+.^_`|~-]+)*$/.test(signedHeadersParam!)) {
    return incomplete(`SignedHeaders must be lower-case header names separated by ';', got '${signedHeadersParam}'.`);
  }
  if (!/^[0-9a-f]{64}$/.test(signature!)) return incomplete('Signature must be 64 lower-case hexadecimal digits.');
  const signedHeaders = signedHeadersParam!.split(';');

  if (!signedHeaders.includes('host')) return invalidSignature("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
  const [amzDate, ...moreDates] = values(request.headers, 'x-amz-date') ?? [];
  if (amzDate === undefined) return invalidSignature("Authorization header requires existence of a 'X-Amz-Date' header.");
  const parts = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
  const signedAt = parts ? Date.parse(`${parts[1]}-${parts[2]}-${parts[3]}T${parts[4]}:${parts[5]}:${parts[6]}Z`) : Number.NaN;
  if (moreDates.length > 0 || Number.isNaN(signedAt)) {
    return invalidSignature(`Date must be in ISO-8601 'basic format'. Got '${[amzDate, ...moreDates].join(',')}'. See http://en.wikipedia.org/wiki/ISO_8601`);
  }
  if (scopeDate !== amzDate.slice(0, 8)) {
    return invalidSignature(
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${scopeDate}' != '${amzDate.slice(0, 8)}', from '${amzDate}'.`,
    );
  }
  if (region !== expected.region) return invalidSignature('Credential should be scoped to a valid region.');
  if (service !== expected.service) return invalidSignature(`Credential should be scoped to correct service: '${expected.service}'.`);
  if (signedAt < now - allowedSkewMs) {
    return invalidSignature(`Signature expired: ${amzDate} is now earlier than ${basicIso(now - allowedSkewMs)} (${basicIso(now)} - 5 min.)`);
  }
  if (signedAt > now + allowedSkewMs) {
    return invalidSignature(`Signature not yet current: ${amzDate} is still later than ${basicIso(now + allowedSkewMs)} (${basicIso(now)} + 5 min.)`);
  }

  if (accessKeyId !== expected.credentials.accessKeyId) return unrecognized();
  // Temporary credentials (a Lambda execution role's) are only valid with their own token, signed.
  const tokens = values(request.headers, 'x-amz-security-token');
  const token = expected.credentials.sessionToken;
  if (token === undefined ? tokens !== undefined : !signedHeaders.includes('x-amz-security-token') || tokens?.length !== 1 || !sameText(tokens[0]!, token)) {
    return unrecognized();
  }

  const bodyHash = createHash('sha256').update(request.body).digest('hex');
  const claimedHash = values(request.headers, 'x-amz-content-sha256');
  if (claimedHash !== undefined && (claimedHash.length !== 1 || claimedHash[0]!.trim() !== bodyHash)) return invalidSignature(mismatch);

  // Exactly the headers the client named, each header's values trimmed and joined with commas (aws4
  // then collapses inner whitespace). A named header the request lacks drops out of aws4's list of
  // signed headers, so the signature cannot match: as at AWS.
  const headers: Record<string, string> = {};
  for (const name of signedHeaders) {
    const received = values(request.headers, name);
    if (received !== undefined) headers[name] = received.map((value) => value.trim()).join(',');
  }
  const signer = new aws4.RequestSigner(
    {
      method: request.method,
      path: request.path,
      headers,
      body: request.body,
      region,
      service,
      // As received: aws4 adds none of its default headers (content-type, x-amz-security-token…)…
      doNotModifyHeaders: true,
      // …and leaves out none of the client's (it would drop user-agent, expect, range… by default).
      extraHeadersToInclude: Object.fromEntries(signedHeaders.map((name) => [name, true])),
    } as Aws4Request,
    expected.credentials,
  );
  // The time signed is the request's own, not now.
  signer.datetime = amzDate;
  let computed: string;
  try {
    computed = signer.signature();
  } catch {
    // A path aws4 cannot decode (a stray '%'): AWS could not have matched it either.
    return invalidSignature(mismatch);
  }
  return sameText(computed, signature!) ? { ok: true } : invalidSignature(mismatch);
}
