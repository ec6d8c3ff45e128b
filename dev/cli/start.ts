/**
 * `npm start`: the whole local stack in one process — the Perkamo emulator (4001), loopback SQS
 * (fauxqs, 4566) with queues, DLQs and pollers, the five built functions behind a local API
 * Gateway HTTP API (3000) with the demo page, and the OpenTelemetry layer exporting each trace to
 * the trace view (http://127.0.0.1:3000/traces) and printing it as a waterfall. Ctrl-C stops everything.
 *
 *   --port <n>                 local HTTP API and demo page (PERKAMO_LOCAL_PORT, default 3000)
 *   --emulator-port <n>        Perkamo emulator (PERKAMO_LOCAL_EMULATOR_PORT, default 4001)
 *   --sqs-port <n>             fauxqs (PERKAMO_LOCAL_SQS_PORT, default 4566)
 *   --visibility-timeout <s>   queue visibility timeout (PERKAMO_LOCAL_VISIBILITY_TIMEOUT, default 15)
 *   --max-receive-count <n>    receives before the DLQ (default 3)
 *   --batch-size <n>           records per SQS invocation, 1–10 (default 10)
 *   --fifo                     FIFO queues and DLQs (perkamo-events.fifo, …), as the deployed FIFO variant
 *   --json-logs                the functions' log lines as they write them (Lambda's JSON), not one short line each
 *   --emulator-log             also log every emulator request
 *   --no-otel                  do not load the OpenTelemetry layer
 */
import { parseArgs } from 'node:util';
import { interceptFunctionLines } from '../chaos/function-logs.ts';
import { devFunctionTimeoutMs } from '../stack/dev-config.ts';
import { logLevelProblem, unknownVariableWarnings } from '../stack/env-check.ts';
import { readableFunctionLine } from '../stack/readable-function-lines.ts';
import { PortInUseError, startLocalStack, type LocalStack } from '../stack/stack.ts';

function fail(message: string): never {
  process.stderr.write(`npm start: ${message}\n`);
  process.exit(1);
}

let values: ReturnType<typeof parse>['values'];
function parse() {
  return parseArgs({
    args: process.argv.slice(2),
    options: {
      port: { type: 'string' },
      'emulator-port': { type: 'string' },
      'sqs-port': { type: 'string' },
      'visibility-timeout': { type: 'string' },
      'max-receive-count': { type: 'string' },
      'batch-size': { type: 'string' },
      fifo: { type: 'boolean' },
      'json-logs': { type: 'boolean' },
      'emulator-log': { type: 'boolean' },
      'no-otel': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
try {
  values = parse().values;
} catch (error) {
  fail((error as Error).message);
}
if (values.help) {
  process.stdout.write(
    'usage: npm start -- [--port 3000] [--emulator-port 4001] [--sqs-port 4566] [--visibility-timeout 15] [--max-receive-count 3] [--batch-size 10] [--fifo] [--json-logs] [--emulator-log] [--no-otel]\n' +
      '  --fifo       FIFO queues and DLQs (perkamo-events.fifo, perkamo-identify.fifo); npm run enqueue sends each user id as MessageGroupId\n' +
      "  --json-logs  the functions' log lines as Lambda gets them (JSON), instead of one short line each\n",
  );
  process.exit(0);
}
const env = process.env;
/** A flag's value, else its variable's: an error names whichever was given. */
const whole = (flag: string, variable: string | undefined) => {
  const fromFlag = values[flag as keyof typeof values] as string | undefined;
  const [name, text] = fromFlag !== undefined ? [`--${flag}`, fromFlag] : [variable, variable ? env[variable] : undefined];
  if (text === undefined || text === '') return undefined;
  if (!/^\d+$/.test(text)) fail(`${name} must be a whole number, got ${JSON.stringify(text)}`);
  return Number(text);
};
const logLevel = logLevelProblem(env);
if (logLevel) fail(logLevel);
for (const warning of unknownVariableWarnings(env)) process.stderr.write(`npm start: ${warning}\n`);

// The layer's settings for local runs: each trace to the trace view (the stack's /traces page)
// and as one compact waterfall on stdout.
const otel = !values['no-otel'];
if (otel) {
  env.OTEL_TRACES_EXPORTER ??= 'console,otlp';
}

const time = () => new Date().toISOString().slice(11, 23);
const log = (line: string) => void process.stdout.write(`${time()} ${line}\n`);
// The functions write Lambda's JSON to stdout; here each line becomes one short line among the
// request lines (the JSON is CloudWatch's format, not a terminal's), unless --json-logs.
if (!values['json-logs']) interceptFunctionLines(({ lines }) => lines.forEach((line) => log(readableFunctionLine(line))));

let stack: LocalStack;
try {
  stack = await startLocalStack({
    ports: {
      api: whole('port', 'PERKAMO_LOCAL_PORT'),
      emulator: whole('emulator-port', 'PERKAMO_LOCAL_EMULATOR_PORT'),
      sqs: whole('sqs-port', 'PERKAMO_LOCAL_SQS_PORT'),
    },
    visibilityTimeoutSeconds: whole('visibility-timeout', 'PERKAMO_LOCAL_VISIBILITY_TIMEOUT'),
    maxReceiveCount: whole('max-receive-count', undefined),
    batchSize: whole('batch-size', undefined),
    fifo: values.fifo === true,
    functionTimeoutMs: devFunctionTimeoutMs,
    otel,
    emulatorLog: values['emulator-log'] === true,
    log,
  });
} catch (error) {
  if (error instanceof PortInUseError) fail(error.message);
  // A function that refuses its configuration said why in its FATAL line, just above. (The bundles
  // carry their own copy of the error classes: the name tells it, not instanceof.)
  if (/ConfigurationError$/.test((error as Error).name)) fail('could not start: a function refused its configuration (its FATAL line above says what to set)');
  fail(`could not start: ${(error as Error).stack ?? error}`);
}
// From process start, not from the stack's first line: what a user waits for.
stack.startupMs = performance.now();
process.stdout.write(`${stack.banner()}\n`);

let stopping = false;
function stop(signal: string) {
  if (stopping) {
    process.stdout.write('\nforced exit\n');
    process.exit(130);
  }
  stopping = true;
  process.stdout.write(`\n${signal}: stopping the local stack…\n`);
  const forced = setTimeout(() => {
    process.stdout.write('still stopping after 5 s; exiting\n');
    process.exit(1);
  }, 5000);
  forced.unref();
  stack.close().then(
    () => {
      process.stdout.write('stopped.\n');
      process.exit(0);
    },
    (error: unknown) => {
      process.stderr.write(`error while stopping: ${(error as Error).message}\n`);
      process.exit(1);
    },
  );
}
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));
