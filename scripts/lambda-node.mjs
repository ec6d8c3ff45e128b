#!/usr/bin/env node
// Lambda's Node for the commands that run our functions in-process — the test suites, `npm start`,
// the chaos run — whatever the machine's own `node` is (20, 22 or 24): the npm package node@24,
// pinned in dev/harness/lambda-node-packages.json, fetched once by npx and served from its cache
// after. $PERKAMO_NODE24 names another binary; a machine whose node is already 24 uses its own. The
// harness finds its Node 22 and 24 the same way, through lambdaNodePath (dev/harness/node-binaries.ts).
// Plain JavaScript: it runs before the build, on any Node.
//
//   node scripts/lambda-node.mjs      prints the binary's path, for `exec "$(node scripts/lambda-node.mjs)" …`
//                                     in package.json (the shell is replaced: signals reach the suite)
//   runOnLambdaNode(script, args)     runs a script on it from another script (scripts/start.mjs)
//   lambdaNodePath(major, pins)       the path of Node 22 or 24 (the harness, which bundles this file, passes the pins)
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
  const variable = `PERKAMO_NODE${MAJOR}`;
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

function checked(binary, from, MAJOR) {
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
