// Why an OTLP endpoint refused an export, and what fixes it — in one warning per kind of refusal and
// environment (the processor keeps the count), never one per invocation. CloudWatch's endpoint
// answers in AWS's words (`x-amzn-errortype`, a JSON or OTLP Status body); others in their own. The
// body is distrusted: only a bounded, single-line, printable piece of it is quoted, and anything that
// looks like a credential or a signature is blanked (a SigV4 mismatch answer can quote the canonical
// request, session token included). Part of otel-export.mjs: loaded by the first export.

export interface RefusalInput {
  status: number;
  /** The `x-amzn-errortype` header ('' when absent). */
  errorType: string;
  /** The first bytes of the answer's body. */
  body: Buffer;
  /** The request was signed with SigV4. */
  signed: boolean;
  /** Strings never to repeat (the signing credentials). */
  secrets: readonly string[];
}

export interface Refusal {
  /** One warning per key and environment. */
  key: string;
  /** ` (AccessDeniedException: User … is not authorized …)`, or ''. */
  detail: string;
  /** What to change, as the warning's last words. */
  fix: string;
}

const maxQuotedChars = 240;

interface Rule {
  key: string;
  when: (status: number, text: string, signed: boolean) => boolean;
  fix: string | ((text: string) => string);
}

/** First match wins: the most specific answers first. */
const rules: Rule[] = [
  {
    key: 'transaction-search',
    when: (status, text) => status < 500 && /trace segment destination|transaction search|UpdateTraceSegmentDestination/i.test(text),
    fix: "turn on CloudWatch Transaction Search once for this account and region (CloudWatch console → Application Signals → Transaction Search, or deploy with transactionSearch=true); spans are dropped until then",
  },
  {
    key: 'access-denied',
    when: (status, text) => status === 403 && /AccessDenied|not authorized/i.test(text),
    fix: "the function's role may not write spans: allow xray:PutTraceSegments and xray:PutSpans on \"*\" (serverless.yml does with traces=xray)",
  },
  {
    key: 'clock',
    when: (status, text) => (status === 400 || status === 403) && /Signature expired|not yet current|RequestTimeTooSkewed/i.test(text),
    fix: "the request's signing time was more than 5 minutes off AWS's clock: check the environment's clock",
  },
  {
    key: 'credentials',
    when: (status, text) => status === 403 && /UnrecognizedClient|security token|ExpiredToken|InvalidClientTokenId/i.test(text),
    fix: "AWS did not accept the credentials: the execution role's session (AWS_ACCESS_KEY_ID, AWS_SESSION_TOKEN, or the container credentials endpoint) is invalid or expired",
  },
  {
    key: 'signature',
    when: (status, text, signed) => signed && (status === 400 || status === 403) && /Signature|Credential should be scoped/i.test(text),
    fix: 'AWS did not accept the signature: the endpoint must be signed for its own region and service (the X-Ray host names them; elsewhere PERKAMO_OTEL_SIGV4=xray and AWS_REGION)',
  },
  {
    key: 'unsigned',
    when: (status, text, signed) => !signed && (status === 401 || status === 403),
    // An AWS endpoint, or another backend that wants its own credentials.
    fix: (text) =>
      /MissingAuthenticationToken|Authentication Token|aws/i.test(text)
        ? 'the endpoint wants AWS SigV4: set PERKAMO_OTEL_SIGV4=xray (it is on by itself for https://xray.<region>.amazonaws.com)'
        : 'the endpoint wants credentials: set them in OTEL_EXPORTER_OTLP_HEADERS (e.g. x-honeycomb-team=<key>)',
  },
  {
    key: 'too-large',
    when: (status) => status === 413,
    fix: 'a request was over the endpoint\'s size limit (the layer sends at most 5 MB and 10,000 spans per request): lower the limit your collector or proxy sets, or raise it',
  },
  {
    key: 'not-found',
    when: (status) => status === 404 || status === 405,
    fix: 'no OTLP traces endpoint at this URL: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is used as given, OTEL_EXPORTER_OTLP_ENDPOINT gets /v1/traces appended',
  },
  {
    key: 'bad-request',
    when: (status) => status === 400,
    fix: 'the endpoint could not take the spans as sent: check OTEL_EXPORTER_OTLP_PROTOCOL (http/protobuf or http/json) and what the endpoint accepts',
  },
];

export function refusalOf(input: RefusalInput): Refusal {
  const quoted = quote(input);
  const text = `${input.errorType} ${quoted}`;
  const rule = rules.find((r) => r.when(input.status, text, input.signed));
  const key = `${input.status} ${rule?.key ?? 'other'}`;
  const detail = quoted ? ` (${input.errorType && !quoted.startsWith(input.errorType) ? `${input.errorType}: ` : ''}${quoted})` : input.errorType ? ` (${input.errorType})` : '';
  const fix = !rule
    ? 'the endpoint refused the spans; they are dropped (only 429, 502, 503 and 504 are retried)'
    : typeof rule.fix === 'string'
      ? rule.fix
      : rule.fix(text);
  return { key, detail, fix };
}

/** The reason the body gives, as one bounded line with every secret-looking string blanked. */
function quote({ body, secrets }: RefusalInput): string {
  let text = '';
  const raw = body.toString('utf8');
  try {
    const parsed = JSON.parse(raw) as Record<string, unknown>;
    const message = parsed.message ?? parsed.Message ?? parsed.errorMessage;
    if (typeof message === 'string') text = message;
  } catch {
    // Not JSON: an OTLP Status (protobuf) or plain text. Its longest printable run is the message.
    text = (raw.match(/[\x20-\x7e]{8,}/g) ?? []).reduce((a, b) => (b.length > a.length ? b : a), '');
  }
  return safeLine(text, secrets);
}

/** An endpoint's own words as one bounded, printable line, with every secret-looking string blanked. */
export function safeLine(text: string, secrets: readonly string[]): string {
  text = text.split(/\r?\n/)[0]!.trim();
  for (const secret of secrets) if (secret) text = text.split(secret).join('[redacted]');
  text = text
    .replace(/Signature=[0-9a-f]{16,}/gi, 'Signature=[redacted]')
    // Session tokens, secret keys and signatures: long runs without spaces.
    .replace(/[A-Za-z0-9+/=_-]{40,}/g, '[redacted]')
    .replace(/[^\x20-\x7e]/g, '?');
  return text.length > maxQuotedChars ? `${text.slice(0, maxQuotedChars)}…` : text;
}
