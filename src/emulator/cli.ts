/**
 * `npm run emulator`: the local Perkamo API on http://127.0.0.1:4001.
 *
 *   --port <n>           (or PERKAMO_EMULATOR_PORT; default 4001, 0 = any free port)
 *   --host <addr>        (or PERKAMO_EMULATOR_HOST; default 127.0.0.1)
 *   --program <file>     (or PERKAMO_EMULATOR_PROGRAM; default: the shipped default program)
 *   --faults <json>      (or PERKAMO_EMULATOR_FAULTS; a JSON list of fault rules)
 *   --rate-limit <json>  (or PERKAMO_EMULATOR_RATE_LIMIT; { "capacity": 100, "refillPerSecond": 50 })
 *   --seed <n>           (or PERKAMO_EMULATOR_SEED; fault PRNG seed, default 1)
 *   --server-key <key>   (repeatable; or PERKAMO_EMULATOR_SERVER_KEYS, comma-separated)
 *   --browser-key <key>  (repeatable; or PERKAMO_EMULATOR_BROWSER_KEYS, comma-separated)
 *   --quiet              no per-request log lines
 */
import { parseArgs } from 'node:util';
import { startEmulator, type EmulatorOptions } from './index.ts';

function fail(message: string): never {
  process.stderr.write(`perkamo emulator: ${message}\n`);
  process.exit(2);
}

function json(name: string, text: string | undefined): unknown {
  if (text === undefined || text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (error) {
    return fail(`${name} is not valid JSON: ${(error as Error).message}`);
  }
}

function integer(name: string, text: string | undefined): number | undefined {
  if (text === undefined || text === '') return undefined;
  if (!/^\d+$/.test(text)) fail(`${name} must be a whole number, got ${JSON.stringify(text)}`);
  return Number(text);
}

const list = (text: string | undefined): string[] | undefined =>
  text ? text.split(',').map((s) => s.trim()).filter(Boolean) : undefined;

let args: ReturnType<typeof parse>;
function parse() {
  return parseArgs({
    args: process.argv.slice(2),
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      program: { type: 'string' },
      faults: { type: 'string' },
      'rate-limit': { type: 'string' },
      seed: { type: 'string' },
      'server-key': { type: 'string', multiple: true },
      'browser-key': { type: 'string', multiple: true },
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  }).values;
}
try {
  args = parse();
} catch (error) {
  fail((error as Error).message);
}

if (args.help) {
  process.stdout.write(
    'usage: perkamo-emulator [--port 4001] [--host 127.0.0.1] [--program file.json] [--faults JSON] [--rate-limit JSON] [--seed n] [--server-key k]… [--browser-key k]… [--quiet]\n',
  );
  process.exit(0);
}

const env = process.env;
const options: EmulatorOptions = {
  port: integer('--port', args.port ?? env.PERKAMO_EMULATOR_PORT) ?? 4001,
  host: args.host ?? env.PERKAMO_EMULATOR_HOST ?? '127.0.0.1',
  program: args.program ?? env.PERKAMO_EMULATOR_PROGRAM ?? undefined,
  faults: json('faults', args.faults ?? env.PERKAMO_EMULATOR_FAULTS) as EmulatorOptions['faults'],
  rateLimit: json('rate limit', args['rate-limit'] ?? env.PERKAMO_EMULATOR_RATE_LIMIT) as EmulatorOptions['rateLimit'],
  seed: integer('--seed', args.seed ?? env.PERKAMO_EMULATOR_SEED),
  keys: {
    server: args['server-key'] ?? list(env.PERKAMO_EMULATOR_SERVER_KEYS),
    browser: args['browser-key'] ?? list(env.PERKAMO_EMULATOR_BROWSER_KEYS),
  },
  quiet: args.quiet ?? false,
};

let emulator: Awaited<ReturnType<typeof startEmulator>>;
try {
  emulator = await startEmulator(options);
} catch (error) {
  fail((error as Error).message);
}

const faults = emulator.faults();
process.stdout.write(
  [
    `Perkamo emulator listening on ${emulator.url}`,
    `  server key    ${emulator.keys.server.join(', ')}   (x-perkamo-api-key; POSTs signed, ±300 s)`,
    `  browser key   ${emulator.keys.browser.join(', ')}`,
    `  program       ${typeof options.program === 'string' ? options.program : 'default (src/emulator/default-program.json)'}: wallets ${emulator.program.wallets.map((w) => w.key).join(', ')}; ${emulator.program.blueprint.earningRules.length} earning rules`,
    `  faults        ${faults.length === 0 ? 'none' : JSON.stringify(faults)}`,
    `  control       GET  ${emulator.url}/__emulator/health | /__emulator/ledger | /__emulator/faults | /__emulator/rate-limit`,
    `                PUT  ${emulator.url}/__emulator/faults      body: [{"kind":"error_after","rate":0.5}]`,
    `                PUT  ${emulator.url}/__emulator/rate-limit  body: {"capacity":100,"refillPerSecond":50} or null`,
    `                POST ${emulator.url}/__emulator/reset`,
    `  export PERKAMO_BASE_URL=${emulator.url} PERKAMO_SECRET_KEY=${emulator.keys.server[0]} PERKAMO_BROWSER_KEY=${emulator.keys.browser[0] ?? ''}`,
    '',
  ].join('\n'),
);

let stopping = false;
const stop = (signal: string) => {
  if (stopping) return;
  stopping = true;
  process.stdout.write(`Perkamo emulator stopping (${signal})\n`);
  void emulator.close().then(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
};
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));
