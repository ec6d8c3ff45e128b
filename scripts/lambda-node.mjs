#!/usr/bin/env node
// Lambda's Node for the commands that run our functions in-process — the test suites, `npm start`,
// the chaos run, the bench — whatever the machine's own `node` is (20, 22 or 24): the npm package
// node@24, pinned in dev/harness/lambda-node-packages.json, fetched once by npx and served from its
// cache after. $PERKAMO_NODE24 names another binary; a machine whose node is already 24 uses its own.
// The harness finds its Node 22 and 24 the same way, through lambdaNodePath (dev/harness/node-binaries.ts).
// Plain JavaScript: it runs before the build, on any Node.
//
//   node scripts/lambda-node.mjs --run <script> [args…]   runs the script on it, for package.json's scripts
//   node scripts/lambda-node.mjs                         prints the binary's path, for a command by hand:
//                                                        "$(node scripts/lambda-node.mjs)" node_modules/vitest/vitest.mjs run <files>
//   runOnLambdaNode(script, args, options)               the same as --run, from another script (scripts/start.mjs)
//   lambdaNodePath(major, pins)                          the path of Node 22 or 24 (the harness, which bundles this file, passes the pins)
//   lambdaNodeVariable(major), nodeVersion(binary)       the variable that names a binary instead, and a binary's version (the harness's too)
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The pinned packages by major, read from this file's place in the repository (not from a bundle's). */
const repositoryPins = () => JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), '../dev/harness/lambda-node-packages.json'), 'utf8'));

/**
 * The path of a Node `major` binary: $PERKAMO_NODE<major>, this process's Node if it is that major,
 * else the pinned npm package through npx — fetched the first time, saying so. Checked to be that major.
 */
export function lambdaNodePath(major = 24, pins = repositoryPins()) {
  const MAJOR = String(major);
  const pin = pins[MAJOR];
  const variable = lambdaNodeVariable(major);
  const override = process.env[variable];
  if (override) return checked(override, variable, MAJOR);
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
    process.stderr.write(`Fetching Node ${pin.slice(5)} (the npm package ${pin}): the suites, the harness and the local stack run on Lambda's Node. Once; npx's cache serves it after.\n`);
    try {
      out = npx(false);
    } catch (error) {
      throw new Error(`could not fetch ${pin} with npx (${error.message.split('\n')[0]}); set ${variable} to a Node ${MAJOR} binary instead`);
    }
  }
  return checked(out.trim().split('\n').pop(), `npx -p ${pin}`, MAJOR);
}

/** The environment variable that names a Node `major` binary to use instead of the pinned package. */
export function lambdaNodeVariable(major) {
  return `PERKAMO_NODE${major}`;
}

const versions = new Map([[process.execPath, process.versions.node]]);

/** The version (`22.23.3`) of a Node binary, asked once per path (lambdaNodePath has asked already). */
export function nodeVersion(binary) {
  let version = versions.get(binary);
  if (version === undefined) {
    try {
      version = execFileSync(binary, ['-p', 'process.versions.node'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 }).trim();
    } catch (error) {
      throw new Error(`${binary} does not run (${error.message.split('\n')[0]})`);
    }
    versions.set(binary, version);
  }
  return version;
}

function checked(binary, from, MAJOR) {
  let version;
  try {
    version = nodeVersion(binary);
  } catch (error) {
    throw new Error(`${from}: ${error.message}`);
  }
  if (version.split('.')[0] !== MAJOR) throw new Error(`${from}: ${binary} is Node ${version}, not ${MAJOR}`);
  return binary;
}

/**
 * Runs `script` on Node 24 and exits with its status, or dies of the signal that ended it. SIGINT,
 * SIGTERM and SIGHUP sent to this process (npm forwards its own; a CI's timeout kills npm) are passed
 * on to the child.
 *
 * By default the child stays in this process's group, stdin and all, as if it had been exec'd: a
 * Ctrl-C reaches it from the terminal too (vitest and the bench end at the first one they get) and
 * vitest's watch mode reads the keyboard. `ownProcessGroup` gives it a group of its own and no stdin,
 * so that a Ctrl-C reaches it once, through this process, and not a second time from the terminal
 * (a second signal is the local stack's "force quit").
 */
export function runOnLambdaNode(script, args, { ownProcessGroup = false } = {}) {
  const child = spawn(lambdaNodePath(), [script, ...args], {
    stdio: [ownProcessGroup ? 'ignore' : 'inherit', 'inherit', 'inherit'],
    detached: ownProcessGroup,
  });
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
  const [flag, script, ...args] = process.argv.slice(2);
  try {
    if (flag === undefined) process.stdout.write(`${lambdaNodePath()}\n`);
    else if (flag === '--run' && script !== undefined) runOnLambdaNode(script, args);
    else throw new Error(`usage: node scripts/lambda-node.mjs [--run <script> [args…]] (got ${process.argv.slice(2).join(' ')})`);
  } catch (error) {
    process.stderr.write(`lambda-node: ${error.message}\n`);
    process.exit(1);
  }
}
