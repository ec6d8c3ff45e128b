// The functions' lines on stdout: the one interception that recognises them (dev/chaos/function-logs.ts),
// and the short line `npm start` prints for each (dev/stack/readable-function-lines.ts) — from the
// fields it knows only, so nothing else a line may carry reaches the terminal.
import { afterEach, describe, expect, it } from 'vitest';
import { interceptFunctionLines, type FunctionLine, type FunctionWrite } from '../../dev/chaos/function-logs.ts';
import { readableFunctionLine } from '../../dev/stack/readable-function-lines.ts';

const id1 = '5c2e09c8-55be-4cf4-a79e-884c03fb2bf8';
const id2 = 'd0585e92-d72e-4d53-99be-40d3607d76a5';
// A summary line as the batch function writes it for an SQS batch with two poison records (a real one, from `npm start`).
const sqsSummary: FunctionLine = {
  level: 'WARN',
  message: 'invocation done with failures',
  timestamp: '2026-12-07T01:17:02.106Z',
  function_name: 'batch',
  aws_request_id: 'dd82fd98-634f-489a-8a3d-7f1961136452',
  cold_start: false,
  trigger: 'sqs',
  records: 3,
  applied: 1,
  duplicates: 0,
  refused: 2,
  failed: 0,
  perkamo_calls: 1,
  perkamo_attempts: 1,
  duration_ms: 19,
  budget_exhausted: false,
  budget_ms: 9500,
  error_codes: { validation_failed: 2 },
  perkamo_request_ids: ['req_02bfe46ca828000000000002'],
  failures: [
    { id: id2, result: 'refused', error: 'PerkamoValidationError', code: 'validation_failed', message: "'context.wallet' is a reserved Perkamo field (xp, wallet, wallets, rewards, level, perks, achievements); Perkamo computes it from the program's rules — send the business facts instead" },
    { id: id1, result: 'refused', error: 'PerkamoValidationError', code: 'validation_failed', message: `SQS message ${id1} body is not JSON` },
  ],
};

describe("npm start's line for a function's log line", () => {
  it('an SQS summary: the counts, the first failed record with its code and reason, how many more, the time', () => {
    const line = readableFunctionLine(sqsSummary);
    expect(line).toBe(
      "batch  WARN  invocation done with failures: 3 records — 1 applied, 2 refused · d0585e92…: validation_failed: 'context.wallet' is a reserved Perkamo field (xp, wallet, wallets, rewards, level, perks, achievements); Perkamo comput… (+1 more) · 19 ms",
    );
    expect(line.length).toBeLessThan(260);
  });

  it('a success, an HTTP refusal (its message is on the request line) and a failure as a whole (its error is not)', () => {
    expect(readableFunctionLine({ level: 'INFO', message: 'invocation done', function_name: 'emit', trigger: 'http', records: 1, applied: 1, duplicates: 0, refused: 0, failed: 0, duration_ms: 42, status: 200 })).toBe(
      'emit  INFO  invocation done: 1 record — 1 applied · 42 ms',
    );
    expect(
      readableFunctionLine({ level: 'WARN', message: 'invocation done with failures', function_name: 'emit', trigger: 'http', records: 0, status: 401, error_code: 'unauthorized', error: 'AuthenticationError', error_message: 'the bearer token is not a JWT', duration_ms: 1 }),
    ).toBe('emit  WARN  invocation done with failures: 401 unauthorized · 1 ms');
    expect(
      readableFunctionLine({ level: 'ERROR', message: 'invocation failed', function_name: 'batch', trigger: 'sqs', records: 0, error: 'TimeoutError', error_message: 'out of time\nafter 9.5 s', budget_exhausted: true, duration_ms: 9500 }),
    ).toBe('batch  ERROR  invocation failed: 0 records · TimeoutError: out of time after 9.5 s · out of time · 9500 ms');
  });

  it('other lines: the message and the error; EMF lines: their non-zero metrics', () => {
    expect(readableFunctionLine({ level: 'WARN', message: 'server key refresh failed; serving the cached key', function_name: 'emit', error: 'AccessDenied: not allowed', stale_for_ms: 5 })).toBe(
      'emit  WARN  server key refresh failed; serving the cached key (AccessDenied: not allowed) · stale_for_ms 5',
    );
    expect(readableFunctionLine({ level: 'DEBUG', message: 'perkamo call', function_name: 'emit', operation: 'emit', ok: true, status: 200, perkamo_request_id: 'req_1', attempts: 1, duration_ms: 12.3, request_bytes: 99 })).toBe(
      'emit  DEBUG  perkamo call · operation emit · ok true · status 200 · attempts 1 · duration_ms 12.3 · perkamo_request_id req_1',
    );
    const emf = {
      _aws: { Timestamp: 1, CloudWatchMetrics: [{ Namespace: 'Perkamo', Dimensions: [['function', 'trigger', 'outcome']], Metrics: ['Records', 'Applied', 'Refused', 'PerkamoLatency'].map((Name) => ({ Name, Unit: Name === 'PerkamoLatency' ? 'Milliseconds' : 'Count' })) }] },
      function: 'batch',
      trigger: 'sqs',
      outcome: 'partial',
      Records: 3,
      Applied: 1,
      Refused: 0,
      PerkamoLatency: [12.5, 3],
    };
    expect(readableFunctionLine(emf)).toBe('batch  EMF  sqs partial: Records 3 · Applied 1 · PerkamoLatency 12.5/3 ms');
  });

  it('prints only the fields it knows, on one line, without control characters', () => {
    const line = readableFunctionLine({
      ...sqsSummary,
      authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig',
      token: 'sk_live_secret',
      failures: [{ id: 'order:1', code: 'validation_failed', message: "'context.\u001b[31mred' is\r\nreserved", secret: 'sk_live_secret' }],
    });
    expect(line).toContain("order:1: validation_failed: 'context. [31mred' is reserved (+1 more)");
    expect(line).not.toMatch(/sk_live|eyJ|[\u0000-\u001f]/);
  });
});

describe('interceptFunctionLines', () => {
  let restore: (() => void) | undefined;
  afterEach(() => restore?.());

  it("takes the writes made of the functions' lines only; anything else passes through; restore puts the writer back", () => {
    const passed: string[] = [];
    const before = process.stdout.write;
    // What the interception finds in place: stands for the terminal.
    const terminal = ((chunk: string) => (passed.push(chunk), true)) as typeof process.stdout.write;
    process.stdout.write = terminal;
    const taken: FunctionWrite[] = [];
    try {
      const interception = interceptFunctionLines((write) => taken.push(write));
      restore = interception.restore;
      const summary = JSON.stringify(sqsSummary);
      const emfLine = JSON.stringify({ _aws: { Timestamp: 1, CloudWatchMetrics: [] }, function: 'batch' });
      let called = false;
      process.stdout.write(`${summary}\n${emfLine}\n`, () => (called = true));
      process.stdout.write('12:00:00.000 HTTP POST /events → emit 200 4 ms\n');
      process.stdout.write('{"not":"a function line"}\n');
      process.stdout.write(`${summary}\n{"half":`);
      interception.write(`${summary}\n`);
      expect(taken).toHaveLength(1);
      expect(taken[0]!.text).toBe(`${summary}\n${emfLine}\n`);
      expect(taken[0]!.lines.map((line) => line.function_name ?? line.function)).toEqual(['batch', 'batch']);
      expect(called).toBe(true);
      expect(passed).toEqual(['12:00:00.000 HTTP POST /events → emit 200 4 ms\n', '{"not":"a function line"}\n', `${summary}\n{"half":`, `${summary}\n`]);
      interception.restore();
      expect(process.stdout.write).toBe(terminal);
      process.stdout.write(`${summary}\n`);
      expect(passed).toHaveLength(5);
    } finally {
      process.stdout.write = before;
    }
  });
});
