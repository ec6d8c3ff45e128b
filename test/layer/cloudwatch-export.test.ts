// The layer's exporter against the CloudWatch stand-in in this process: every request signed by the
// layer (@smithy/signature-v4) and verified by the stand-in (aws4), gzip, within the endpoint's limits
// however many spans wait; refusals warned once per kind; a split export that fails half-way keeps
// only what was not delivered.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Env } from '../../layers/otel/config.ts';
import { setupTracing } from '../../layers/otel/setup.ts';
import { lambdaCredentials } from '../../dev/harness/bootstrap.ts';
import { startOtlpReceiver, type OtlpReceiver } from '../../dev/harness/otlp-receiver.ts';

const region = 'eu-central-1';
let receiver: OtlpReceiver;
beforeAll(async () => {
  receiver = await startOtlpReceiver({ sigv4: { region, credentials: lambdaCredentials }, limits: true });
});
afterAll(() => receiver.close());
beforeEach(() => receiver.reset());

/** Lambda's variables: the role's credentials and region; the endpoint signed as X-Ray's. */
const lambdaEnv = (extra: Env = {}): Env => ({
  AWS_LAMBDA_FUNCTION_NAME: 'perkamo-dev-emit',
  AWS_REGION: region,
  AWS_ACCESS_KEY_ID: lambdaCredentials.accessKeyId,
  AWS_SECRET_ACCESS_KEY: lambdaCredentials.secretAccessKey,
  AWS_SESSION_TOKEN: lambdaCredentials.sessionToken,
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${receiver.url}/v1/traces`,
  PERKAMO_OTEL_SIGV4: 'xray',
  ...extra,
});

function traced(env: Env) {
  const warnings: string[] = [];
  const tracing = setupTracing(env, { warn: (m) => warnings.push(m), maxBufferedSpans: 50_000 })!;
  const tracer = tracing.provider.getTracer('perkamo-lambda');
  const spans = (n: number) => {
    for (let i = 0; i < n; i++) tracer.startSpan(`perkamo emit ${i}`, { attributes: { 'perkamo.request_id': `req_${i}` } }).end();
  };
  return { tracing, warnings, spans };
}

describe('signed exports to the CloudWatch stand-in', () => {
  it('signed for xray in AWS_REGION with the session token, gzip protobuf: verified and taken', async () => {
    const { tracing, warnings, spans } = traced(lambdaEnv());
    spans(5);
    await tracing.flush(5_000);
    expect(warnings).toEqual([]);
    expect(receiver.requests).toEqual([expect.objectContaining({ status: 200, signed: true, contentEncoding: 'gzip', contentType: 'application/x-protobuf' })]);
    expect(receiver.spans.map((s) => s.name)).toEqual([0, 1, 2, 3, 4].map((i) => `perkamo emit ${i}`));
  });

  it('credentials that changed since the last export are used (read at each export)', async () => {
    const env = { ...lambdaEnv() } as Record<string, string>;
    const { tracing, warnings, spans } = traced(env);
    spans(1);
    await tracing.flush(5_000);
    env.AWS_SESSION_TOKEN = 'another-session';
    spans(1);
    await tracing.flush(5_000);
    expect(receiver.requests.map((r) => r.status)).toEqual([200, 403]);
    expect(receiver.requests[1]!.errorType).toBe('UnrecognizedClientException');
    expect(warnings).toEqual([expect.stringMatching(/HTTP 403 \(UnrecognizedClientException: The security token included in the request is invalid\.\); AWS did not accept the credentials/)]);
    expect(warnings[0]).not.toContain('another-session');
  });

  it('25,000 waiting spans go in three requests under 10,000 spans each, all verified, none lost', async () => {
    const { tracing, warnings, spans } = traced(lambdaEnv());
    spans(25_000);
    await tracing.flush(20_000);
    expect(warnings).toEqual([]);
    expect(receiver.requests.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(receiver.spans).toHaveLength(25_000);
    expect(new Set(receiver.spans.map((s) => s.spanId)).size).toBe(25_000);
  }, 30_000);

  it('a span too large for the endpoint is cut to fit (and marked), not refused', async () => {
    const { tracing, warnings } = traced(lambdaEnv());
    tracing.provider.getTracer('t').startSpan('error', { attributes: { 'error.message': 'x'.repeat(300_000) } }).end();
    await tracing.flush(5_000);
    expect(warnings).toEqual([]);
    expect(receiver.requests.map((r) => r.status)).toEqual([200]);
    expect(receiver.spans[0]!.attributes['perkamo.span.trimmed']).toBe(true);
  });

  it('a split export refused half-way (503): only the undelivered requests are kept, and go with the next export', async () => {
    const { tracing, warnings, spans } = traced(lambdaEnv());
    spans(15_000);
    // The first request is taken, the second refused for now.
    let seen = 0;
    const original = receiver.requests.push.bind(receiver.requests);
    receiver.requests.push = (...items) => {
      seen += items.length;
      if (seen === 2) receiver.refuse = 1;
      return original(...items);
    };
    await tracing.flush(20_000);
    receiver.requests.push = original;
    expect(receiver.spans).toHaveLength(10_000);
    expect(tracing.processor!.buffered).toBe(5_000);
    expect(warnings).toEqual([expect.stringContaining('5000 spans kept for the next export')]);
    await tracing.flush(20_000);
    expect(receiver.spans).toHaveLength(15_000);
    expect(new Set(receiver.spans.map((s) => s.spanId)).size).toBe(15_000);
  }, 30_000);

  it('access denied, then Transaction Search off: one warning per kind for any number of exports, never a throw', async () => {
    const { tracing, warnings, spans } = traced(lambdaEnv());
    receiver.deny = 'access-denied';
    for (let i = 0; i < 3; i++) {
      spans(1);
      await tracing.flush(5_000);
    }
    receiver.deny = 'transaction-search-off';
    for (let i = 0; i < 3; i++) {
      spans(1);
      await tracing.flush(5_000);
    }
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/dropped 1 span: .*HTTP 403 \(AccessDeniedException: User: .*xray:PutTraceSegments.*allow xray:PutTraceSegments/);
    expect(warnings[1]).toMatch(/HTTP 400 \(InvalidRequestException: The OTLP API is supported with CloudWatch Logs as a Trace Segment Destination\.\); turn on CloudWatch Transaction Search/);
    expect(tracing.processor!.buffered).toBe(0);
  });
});
