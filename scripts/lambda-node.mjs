#!/usr/bin/env node
// Lambda's Node for the commands that run our functions in-process — the test suites, `npm start`,
// the chaos run — whatever the machine's own `node` is (20, 22 or 24): the npm package node@24,
// pinned in dev/harness/lambda-node-packages.json (the harness reads the same pins), fetched once by
// npx and served from its cache after. $PERKAMO_NODE24 names another binary; a machine whose node
// is already 24 uses its own. Plain JavaScript: it runs before the build, on any Node.
//
//   node scripts/lambda-node.mjs      prints the binary's path, for `exec "$(node scripts/lambda-node.mjs)" …`
//                                     in package.json (the shell is replaced: signals reach the suite)
//   runOnLambdaNode(script, args)     runs a script on it from another script (scripts/start.mjs)
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const MAJOR = '24';
const pin = JSON.parse(readFileSync(join(root, 'dev/harness/lambda-node-packages.json'), 'utf8'))[MAJOR];

/** The path of the Node 24 binary; fetches the pinned package the first time, saying so. */
export function lambdaNodePath() {
  const override = process.env.PERKAMO_NODE24;
  if (override) return checked(override, 'PERKAMO_NODE24');
  if (process.versions.node.split('.')[0] === MAJOR) return process.execPath;
  const npx = (offline) =>
    execFileSync('npx', [...(offline ? ['--offline'] : []), '-y', '-p', pin, 'node', '-p', 'process.execPath'], {
      cwd: tmpdir(),
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', offline ? 'ignore' : 'inherit'],
      timeout: 300_000,
    });
  let out;
  try {
    out = npx(true);
  } catch {
    process.stderr.write(`Fetching Node ${pin.slice(5)} (the npm package ${pin}): the suites and the local stack run on Lambda's Node 24. Once; npx's cache serves it after.\n`);
    try {
      out = npx(false);
    } catch (error) {
      throw new Error(`could not fetch ${pin} with npx (${error.message.split('\n')[0]}); set PERKAMO_NODE24 to a Node 24 binary instead`);
    }
  }
  return checked(out.trim().split('\n').pop(), `npx -p ${pin}`);
}

function checked(binary, from) {
  let version = '';
  try {
    version = execFileSync(binary, ['-p', 'process.versions.node'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 }).trim();
  } catch (error) {
    throw new Error(`${from}: ${binary} does not run (${error.message.split('\n')[0]})`);
  }
  if (version.split('.')[0] !== MAJOR) throw new Error(`${from}: ${binary} is Node ${version}, not ${MAJOR}`);
  return binary;
}

/**
 * Runs `script` on Node 24 and exits with its status. The child gets its own process group, so a
 * Ctrl-C reaches it once — through this process, which forwards SIGINT, SIGTERM and SIGHUP — and not
 * a second time from the terminal (a second signal is the local stack's "force quit").
 */
export function runOnLambdaNode(script, args) {
  const child = spawn(lambdaNodePath(), [script, ...args], { stdio: ['ignore', 'inherit', 'inherit'], detached: true });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    });
  }
  child.once('error', (error) => {
    process.stderr.write(`${script}: ${error.message}\n`);
    process.exit(1);
  });
  child.once('exit', (code, signal) => {
    if (signal) {
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
    }
    process.exit(code ?? 1);
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    process.stdout.write(`${lambdaNodePath()}\n`);
  } catch (error) {
    process.stderr.write(`lambda-node: ${error.message}\n`);
    process.exit(1);
  }
}
