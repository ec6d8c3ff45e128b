#!/usr/bin/env node
// `npm start`: checks LOG_LEVEL and the ports first — a mistake is found in a second, not after the
// 5–20 s build — then builds (`npm run build`) and runs the local stack (dist/bin/start.mjs, from
// dev/cli/start.ts) on Lambda's Node 24 (scripts/lambda-node.mjs), passing its arguments on.
// Plain JavaScript: it runs before the build, on the machine's Node.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runOnLambdaNode } from './lambda-node.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const fail = (message) => {
  process.stderr.write(`npm start: ${message}\n`);
  process.exit(1);
};

// The servers and their defaults, as dev/stack/dev-config.ts and dev/stack/stack.ts name them.
const servers = [
  { what: 'local HTTP API', flag: 'port', variable: 'PERKAMO_LOCAL_PORT', port: 3000 },
  { what: 'Perkamo emulator', flag: 'emulator-port', variable: 'PERKAMO_LOCAL_EMULATOR_PORT', port: 4001 },
  { what: 'SQS (fauxqs)', flag: 'sqs-port', variable: 'PERKAMO_LOCAL_SQS_PORT', port: 4566 },
];

// The functions' levels (src/lambda/logger.ts `logLevels`, read from its JSON: this runs before the
// build) and the local default (dev/stack/dev-config.ts `devLogLevel`); dev/stack/env-check.ts
// words the same refusal for a run of dist/bin/start.mjs without this script.
const logLevels = Object.keys(JSON.parse(readFileSync(join(root, 'src/lambda/log-levels.json'), 'utf8')));
const logLevelProblem = (value) =>
  value === undefined || value.trim() === '' || logLevels.includes(value.trim().toLowerCase())
    ? undefined
    : `LOG_LEVEL is ${JSON.stringify(value)}, not a log level: set one of ${logLevels.join(', ')} (any case), or unset it for npm start's default (warn)`;

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: Object.fromEntries([...servers.map((s) => [s.flag, { type: 'string' }]), ['help', { type: 'boolean', short: 'h' }]]),
  strict: false,
});

/** Resolves when `port` can be bound on 127.0.0.1, rejects with the listen error otherwise. */
const probe = (port) =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => server.close(resolve));
  });

if (!values.help) {
  const logLevel = logLevelProblem(process.env.LOG_LEVEL);
  if (logLevel) fail(logLevel);
  for (const server of servers) {
    const fromFlag = values[server.flag];
    const [name, text] = typeof fromFlag === 'string' ? [`--${server.flag}`, fromFlag] : [server.variable, process.env[server.variable]];
    if (text === undefined || text === '') {
      server.resolved = server.port;
      continue;
    }
    if (!/^\d{1,5}$/.test(text) || Number(text) > 65_535) fail(`${name} must be a port number (0–65535), got ${JSON.stringify(text)}`);
    server.resolved = Number(text);
  }
  for (const server of servers) {
    if (server.resolved === 0) continue;
    try {
      await probe(server.resolved);
    } catch (error) {
      if (error?.code !== 'EADDRINUSE') throw error;
      fail(`${server.what}: port ${server.resolved} is already in use (another \`npm start\`?). Stop it, or pick another port with --${server.flag}.`);
    }
  }
}

const npm = process.env.npm_execpath ? [process.execPath, [process.env.npm_execpath]] : ['npm', []];
const build = spawnSync(npm[0], [...npm[1], 'run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);
try {
  runOnLambdaNode(join(root, 'dist/bin/start.mjs'), process.argv.slice(2), { ownProcessGroup: true });
} catch (error) {
  fail(error.message);
}
