// What operators see, from the built bundles in this process with the real OpenTelemetry SDK: every
// line a function prints is one JSON object — the logger's lines tied to the invocation (request id,
// cold start, the invocation span's trace and span ids, Lambda's X-Ray id), one summary line and one
// EMF line per invocation — for every function × trigger of events/, and for refusals, failures,
// retries, duplicates and a refused caller. (The same holds as deployed: test/harness/functions.test.ts.)
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { functionNames } from '../../src/lambda/functions/index.ts';
import { httpApiEvent, lambdaContext, sqsEvent } from '../helpers/aws-events.ts';
import { bearer, functionEnv, jwtSecret, loadFunction, sampleEvent, token, type Handler } from '../helpers/functions.ts';
import { emfProblems, expectInvocationLine, parseLines } from '../helpers/log-lines.ts';
import { useTracedFunctions } from '../helpers/tracing.ts';

const samples = readdirSync(new URL('../../events/', import.meta.url)).filter((f) => f.endsWith('.json')).sort();
const namespace = 'Test/Perkamo';
const xrayHeader = 'Root=1-6750a1b2-0123456789abcdef01234567;Parent=53995c3f42cd8ad8;Sampled=0';

// The emulator keeps its state from test to test: the customer samples read the customer the batch samples made.
const suite = useTracedFunctions(functionNames, { LOG_LEVEL: 'info', PERKAMO_METRICS: 'true', PERKAMO_METRICS_NAMESPACE: namespace, CORS_ALLOWED_ORIGINS: 'http://localhost:3000' }, { keepState: true });
const fn = suite.fn;
beforeEach(() => {
  process.env._X_AMZN_TRACE_ID = xrayHeader;
});
afterAll(() => {
  delete process.env._X_AMZN_TRACE_ID;
});

/** Invokes with stdout captured: the answer, every line printed, the request id. */
async function invoke(handler: Handler, event: unknown) {
  const context = lambdaContext(10_000);
  const written: string[] = [];
  const write = process.stdout.write;
  process.stdout.write = ((chunk: string | Uint8Array) => (written.push(String(chunk)), true)) as typeof process.stdout.write;
  let answer: any;
  try {
    answer = await handler(event, context);
  } finally {
    process.stdout.write = write;
  }
  const lines = parseLines(written.join(''));
  const emf = lines.filter((line) => '_aws' in line);
  const logged = lines.filter((line) => !('_aws' in line));
  const summary = logged.filter((line) => /^invocation (done|failed)/.test(String(line.message)));
  expect(emf, 'one EMF line per invocation').toHaveLength(1);
  expect(summary, 'one summary line per invocation').toHaveLength(1);
  return { answer, lines, logged, emf: emf[0]!, summary: summary[0]!, requestId: context.awsRequestId, writes: written };
}

const invocationSpan = (requestId: string): ReadableSpan => {
  const span = suite.tracing.spans().find((s) => s.attributes['faas.invocation_id'] === requestId);
  expect(span, `the invocation span of ${requestId}`).toBeDefined();
  return span!;
};

describe('logs and metrics of every function × trigger (events/ samples)', () => {
  const seen = new Set<string>();

  it.each(samples)('%s', async (file) => {
    const [, name, trigger] = /^(.+)-(http|sqs|eventbridge|direct)\.json$/.exec(file)!;
    const { logged, emf, summary, requestId } = await invoke(fn[name!]!, await sampleEvent(file));
    const span = invocationSpan(requestId);
    // program holds its answer 60 s: its second sample (warm) is answered without a Perkamo call.
    const held = name === 'program' && seen.has(name);

    for (const line of logged) {
      expectInvocationLine(line, true);
      // The log line's trace is the exported span's: Logs Insights by trace_id finds the trace.
      expect(line.trace_id).toBe(span.spanContext().traceId);
      expect(line.span_id).toBe(span.spanContext().spanId);
      expect(line.aws_request_id).toBe(requestId);
      expect(line.xray_trace_id).toBe('1-6750a1b2-0123456789abcdef01234567');
      expect(line.cold_start).toBe(!seen.has(name!));
    }
    seen.add(name!);
    expect(summary).toMatchObject({ level: 'INFO', message: 'invocation done', trigger, refused: 0, failed: 0, budget_exhausted: false });
    expect(summary.records).toBeGreaterThan(0);
    expect((summary.applied as number) + (summary.duplicates as number)).toBe(summary.records);
    if (held) expect(summary).toMatchObject({ perkamo_calls: 0 });
    else expect(summary.perkamo_request_ids).toEqual(expect.arrayContaining([expect.stringMatching(/\S/)]));
    expect(summary.budget_ms).toBeGreaterThan(0);

    expect(emfProblems(emf)).toEqual([]);
    expect(emf).toMatchObject({
      _aws: { CloudWatchMetrics: [{ Namespace: namespace, Dimensions: [['function', 'trigger', 'outcome']] }] },
      function: name,
      trigger,
      outcome: 'success',
      Records: summary.records,
      Refused: 0,
      Failed: 0,
      BudgetExhausted: 0,
      aws_request_id: requestId,
      trace_id: span.spanContext().traceId,
    });
    expect((emf.PerkamoLatency as unknown[] | undefined) ?? []).toHaveLength(emf.PerkamoCalls as number);
    expect(emf.PerkamoCalls).toBe(summary.perkamo_calls);
  });
});

describe('logs and metrics when things go wrong', () => {
  it('an SQS batch with an invalid record: refused with its code, the rest applied, outcome partial', async () => {
    const event = sqsEvent([
      { body: { user_id: 'obs-1', event: 'page.viewed', transaction_id: `obs-${Date.now()}` } },
      { messageId: 'bad-1', body: { event: 'page.viewed' } },
    ]);
    const { answer, summary, emf } = await invoke(fn.batch!, event);
    expect(answer).toEqual({ batchItemFailures: [{ itemIdentifier: 'bad-1' }] });
    expect(summary).toMatchObject({
      level: 'WARN',
      message: 'invocation done with failures',
      trigger: 'sqs',
      records: 2,
      applied: 1,
      refused: 1,
      failed: 0,
      error_codes: { validation_failed: 1 },
      failures: [{ id: 'bad-1', result: 'refused', code: 'validation_failed', error: 'PerkamoValidationError' }],
    });
    expect(emf).toMatchObject({ function: 'batch', trigger: 'sqs', outcome: 'partial', Records: 2, Applied: 1, Refused: 1, Failed: 0 });
    expect(emfProblems(emf)).toEqual([]);
  });

  it('Perkamo answering 503: failed records, retries counted, outcome failure', async () => {
    suite.emulator.setFaults([{ kind: 'error_before', status: 503, routes: ['/v1/events:batch'] }]);
    const event = sqsEvent([{ body: { user_id: 'obs-2', event: 'page.viewed' } }, { body: { user_id: 'obs-3', event: 'page.viewed' } }]);
    const { answer, summary, emf } = await invoke(fn.batch!, event);
    expect(answer.batchItemFailures).toHaveLength(2);
    expect(summary).toMatchObject({ level: 'WARN', records: 2, applied: 0, refused: 0, failed: 2, perkamo_calls: 1 });
    expect(summary.error_codes).toBeUndefined();
    expect(summary.perkamo_attempts).toBeGreaterThan(1);
    expect(emf).toMatchObject({ outcome: 'failure', Failed: 2, PerkamoCalls: 1 });
    expect(emf.PerkamoRetries).toBe((summary.perkamo_attempts as number) - 1);
    expect(emf.PerkamoAttempts).toEqual([summary.perkamo_attempts]);
    expect(emfProblems(emf)).toEqual([]);
  });

  it('the summary and EMF lines leave in one write per invocation; at LOG_LEVEL=warn a success writes the EMF line alone', async () => {
    const body = httpApiEvent('POST /events', { user_id: 'obs-one-write', event: 'page.viewed', transaction_id: 'obs-one-write-1' }, await bearer('obs-one-write', ['perkamo:emit']));
    const { writes, summary, emf } = await invoke(fn.emit!, body);
    expect(writes).toHaveLength(1);
    expect(parseLines(writes[0]!)).toEqual([summary, emf]);
    expect(writes[0]!.endsWith('}\n')).toBe(true);
    // Refused as a whole (a bad token): warn summary and EMF line, still one write.
    const refused = await invoke(fn.emit!, httpApiEvent('POST /events', { user_id: 'x', event: 'page.viewed' }, { authorization: 'Bearer not.a.jwt' }));
    expect(refused.writes).toHaveLength(1);

    const warnOnly = await loadFunction('emit', functionEnv(suite.emulator, { LOG_LEVEL: 'warn', PERKAMO_METRICS: 'true' }));
    const written: string[] = [];
    const write = process.stdout.write;
    process.stdout.write = ((chunk: string | Uint8Array) => (written.push(String(chunk)), true)) as typeof process.stdout.write;
    try {
      await warnOnly({ user_id: 'obs-one-write', event: 'page.viewed', transaction_id: 'obs-one-write-2' }, lambdaContext());
    } finally {
      process.stdout.write = write;
    }
    expect(written).toHaveLength(1);
    expect(parseLines(written[0]!).map((line) => ('_aws' in line ? 'emf' : line.message))).toEqual(['emf']);
  });

  it('a repeated transaction id: counted as a duplicate, not applied twice', async () => {
    const tx = `obs-dup-${Date.now()}`;
    const body = { user_id: 'obs-4', event: 'page.viewed', transaction_id: tx };
    await invoke(fn.emit!, body);
    const { summary, emf } = await invoke(fn.emit!, body);
    expect(summary).toMatchObject({ trigger: 'direct', records: 1, applied: 0, duplicates: 1 });
    expect(emf).toMatchObject({ outcome: 'success', Applied: 0, Duplicates: 1 });
  });

  it('a caller with a bad token: 401 in the summary with its code, no record, outcome failure', async () => {
    const { answer, summary, emf } = await invoke(fn.emit!, httpApiEvent('POST /events', { user_id: 'x', event: 'page.viewed' }, { authorization: 'Bearer not.a.jwt' }));
    expect(answer.statusCode).toBe(401);
    expect(summary).toMatchObject({ level: 'WARN', status: 401, error_code: 'unauthorized', records: 0, error: 'AuthenticationError' });
    expect(emf).toMatchObject({ function: 'emit', trigger: 'http', outcome: 'failure', Records: 0 });
    expect(emf).not.toHaveProperty('PerkamoLatency');
    expect(emfProblems(emf)).toEqual([]);
  });

  it('Perkamo refusing (404 for a customer it does not know): refused with its code and request id', async () => {
    const { answer, summary, emf } = await invoke(fn.customer!, httpApiEvent('GET /customer', undefined, await bearer('obs-nobody', ['perkamo:read'])));
    expect(answer.statusCode).toBe(404);
    const code = JSON.parse(answer.body).error.code;
    expect(summary).toMatchObject({ level: 'WARN', trigger: 'http', status: 404, records: 1, refused: 1, failed: 0, error_codes: { [code]: 1 } });
    expect(summary.perkamo_request_ids).toEqual([expect.stringMatching(/\S/)]);
    expect(emf).toMatchObject({ function: 'customer', outcome: 'failure', Refused: 1, PerkamoCalls: 1 });
    expect(emfProblems(emf)).toEqual([]);
  });

  it('no secret, token or trait value in any line', async () => {
    const jwt = await token('obs-6', ['perkamo:identify']);
    const trait = 'obs-secret-trait@example.test';
    const { lines } = await invoke(fn.identify!, httpApiEvent('POST /identify', { user_id: 'obs-6', traits: { email: trait } }, { authorization: `Bearer ${jwt}` }));
    const text = JSON.stringify(lines);
    for (const secret of [suite.emulator.keys.server[0]!, suite.emulator.keys.browser[0]!, jwtSecret, jwt, trait]) expect(text).not.toContain(secret);
  });

  it('PERKAMO_METRICS=false: no EMF line, the summary still', async () => {
    const quiet = await loadFunction('emit', functionEnv(suite.emulator, { LOG_LEVEL: 'info', PERKAMO_METRICS: 'false' }));
    const written: string[] = [];
    const write = process.stdout.write;
    process.stdout.write = ((chunk: string | Uint8Array) => (written.push(String(chunk)), true)) as typeof process.stdout.write;
    try {
      await quiet({ user_id: 'obs-7', event: 'page.viewed' }, lambdaContext());
    } finally {
      process.stdout.write = write;
    }
    const lines = parseLines(written.join(''));
    expect(lines.filter((line) => '_aws' in line)).toEqual([]);
    expect(lines.filter((line) => line.message === 'invocation done')).toHaveLength(1);
  });
});

describe('a configuration the function cannot start with', () => {
  it('outside Lambda too: one FATAL line in the log format with the fixes, and no minified bundle in the output', async () => {
    const bundle = fileURLToPath(new URL('../../dist/functions/emit/index.mjs', import.meta.url));
    const { stdout, stderr, code } = await new Promise<{ stdout: string; stderr: string; code: number | null }>((resolve) => {
      const child = execFile(process.execPath, ['--input-type=module', '-e', `await import(${JSON.stringify(bundle)})`], {
        env: { PATH: process.env.PATH ?? '', PERKAMO_SECRET_KEY: 'sk_test_x', AWS_LAMBDA_FUNCTION_NAME: 'perkamo-lambda-dev-emit' },
      }, (_error, out, err) => resolve({ stdout: out, stderr: err, code: child.exitCode }));
    });
    expect(code).not.toBe(0);
    expect(parseLines(stdout)).toEqual([
      {
        level: 'FATAL',
        message: expect.stringMatching(/^Invalid function configuration \(3 problems\):\n- AUTH_JWKS_URL: .*set AUTH_JWKS_URL/),
        timestamp: expect.any(String),
        function_name: 'perkamo-lambda-dev-emit',
        error: 'LambdaConfigurationError',
      },
    ]);
    // Node still reports the uncaught error, but as its name and message: no frames, no source line.
    expect(stderr).toContain('LambdaConfigurationError');
    expect(stderr).not.toMatch(/index\.mjs:\d+/);
    expect(stderr.length).toBeLessThan(2_000);
  });
});
