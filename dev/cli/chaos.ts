/**
 * `npm run test:chaos [-- --events 20000 --seed 1 --budget tiny|normal|both --variants sqs,eventbridge,http,fifo]`
 *
 * Runs the chaos proof against the BUILT functions (see dev/chaos/index.ts), prints the summary
 * table, and exits 1 on any lost or doubly applied event (or any other failed check), 2 on bad
 * arguments. Progress goes to stderr, the table to stdout.
 */
import { parseArgs } from 'node:util';
import { formatChaosTable, runChaos, variantNames, type Budget, type Variant } from '../chaos/index.ts';

function fail(message: string): never {
  process.stderr.write(`chaos: ${message}\n`);
  process.exit(2);
}

const usage = `usage: npm run test:chaos -- [options]
  --events <n>            SQS events (default 20000)
  --eb-events <n>         EventBridge events (default events/10, at least 200)
  --http-events <n>       HTTP events (default events/10, at least 200)
  --fifo-events <n>       FIFO identify messages, 10 versions per group (default events/10, at least 200)
  --seed <n>              fault and payload seed (default 1)
  --budget <b>            tiny (700 ms Lambda), normal (10 s) or both (default both)
  --variants <list>       sqs,eventbridge,http,fifo (default all)
  --poison <n>            poison payloads per run (default 8)
  --concurrency <n>       pollers / invokers / clients (default 8)
  --max-minutes <n>       hard cap on the whole run (default 9)
  --json                  print the summary as JSON after the table
`;

let values: ReturnType<typeof parse>['values'];
function parse() {
  return parseArgs({
    args: process.argv.slice(2),
    options: {
      events: { type: 'string' },
      'eb-events': { type: 'string' },
      'http-events': { type: 'string' },
      'fifo-events': { type: 'string' },
      seed: { type: 'string' },
      budget: { type: 'string' },
      variants: { type: 'string' },
      poison: { type: 'string' },
      concurrency: { type: 'string' },
      'max-minutes': { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
try {
  values = parse().values;
} catch (error) {
  fail(`${(error as Error).message}\n${usage}`);
}
if (values.help) {
  process.stdout.write(usage);
  process.exit(0);
}

const whole = (name: string, text: string | undefined, min = 0): number | undefined => {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) < min) fail(`--${name} must be a whole number ≥ ${min}, got ${JSON.stringify(text)}`);
  return Number(text);
};
const budget = values.budget ?? 'both';
if (!['tiny', 'normal', 'both'].includes(budget)) fail(`--budget must be tiny, normal or both, got ${JSON.stringify(budget)}`);
const variants = values.variants === undefined ? [...variantNames] : values.variants.split(',').map((v) => v.trim()).filter(Boolean);
for (const v of variants) if (!(variantNames as readonly string[]).includes(v)) fail(`--variants: unknown ${JSON.stringify(v)} (${variantNames.join(', ')})`);
const maxMinutes = whole('max-minutes', values['max-minutes'], 1) ?? 9;

const events = whole('events', values.events, 1);
const eventBridgeEvents = whole('eb-events', values['eb-events'], 1);
const httpEvents = whole('http-events', values['http-events'], 1);
const fifoEvents = whole('fifo-events', values['fifo-events'], 1);
const seed = whole('seed', values.seed);
const poison = whole('poison', values.poison);
const concurrency = whole('concurrency', values.concurrency, 1);
const summary = await runChaos({
  ...(events !== undefined && { events }),
  ...(eventBridgeEvents !== undefined && { eventBridgeEvents }),
  ...(httpEvents !== undefined && { httpEvents }),
  ...(fifoEvents !== undefined && { fifoEvents }),
  ...(seed !== undefined && { seed }),
  ...(poison !== undefined && { poison }),
  ...(concurrency !== undefined && { concurrency }),
  budget: budget as Budget | 'both',
  variants: variants as Variant[],
  maxWallMs: maxMinutes * 60_000,
  log: (line) => process.stderr.write(`  ${line}\n`),
});
process.stdout.write(`${formatChaosTable(summary)}\n`);
if (values.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
process.exit(summary.ok ? 0 : 1);
