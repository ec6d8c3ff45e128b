// Child processes of the benchmark: the emulator and the OTLP receiver (long-lived, each in its own
// process), and the short-lived workers (one per measurement). stopAll() ends whichever still run;
// bench/run.mjs calls it on every way out.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../..', import.meta.url));
const children = new Set();

/** The parent's environment without anything that would change how a child runs or traces. */
export function cleanEnv(extra = {}) {
  const env = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(NODE_OPTIONS|NODE_V8_COVERAGE|VITEST.*|OTEL_.*|AWS_.*|LAMBDA_.*|_HANDLER|PERKAMO_.*|AUTH_.*|LOG_LEVEL|CORS_.*)$/.test(key)) continue;
    env[key] = value;
  }
  return { ...env, ...extra };
}

/**
 * Starts a long-lived child and resolves once its stdout so far matches `ready` (which must match
 * only a complete line: stdout arrives in chunks that may split one).
 */
export function startServer(name, args, ready, timeoutMs = 15_000) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: root, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let out = '';
    let err = '';
    const timer = setTimeout(() => fail(new Error(`${name} did not start within ${timeoutMs} ms`)), timeoutMs);
    const fail = (error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${error.message}\n${err.slice(-2000)}`));
    };
    child.stderr.on('data', (d) => (err += d));
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(ready);
      if (m) {
        clearTimeout(timer);
        child.stdout.removeAllListeners('data');
        child.stdout.resume();
        resolve({ match: m, stop: () => stop(child) });
      }
    });
    child.on('exit', (code) => fail(new Error(`${name} exited (${code}) before it was ready`)));
  });
}

function stop(child) {
  children.delete(child);
  child.removeAllListeners('exit');
  if (child.exitCode === null) child.kill('SIGTERM');
}

export function stopAll() {
  for (const child of children) stop(child);
}

/** Kills `child` after `timeoutMs`; `expired()` then says so, for the error that follows. */
function deadline(child, timeoutMs) {
  let expired;
  const timer = setTimeout(() => {
    expired = `timed out after ${timeoutMs} ms`;
    child.kill('SIGKILL');
  }, timeoutMs);
  return { clear: () => clearTimeout(timer), expired: () => expired };
}

/**
 * Runs one short-lived Node process (`node`: this one's binary unless given) and returns the object of its `@result {…}` line. A non-zero
 * exit, or no result, throws with the end of its stderr — unless `tolerate(stderr)` says the failure
 * is itself the result (an out-of-memory crash in the memory benchmark).
 */
export function runNode({ node = process.execPath, nodeArgs = [], script, job, env, timeoutMs = 300_000, tolerate }) {
  return new Promise((resolve, reject) => {
    const child = spawn(node, [...nodeArgs, script, JSON.stringify(job)], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (out.length > 1_000_000) out = out.slice(-100_000);
    });
    child.stderr.on('data', (d) => {
      err += d;
      if (err.length > 1_000_000) err = err.slice(-100_000);
    });
    const limit = deadline(child, timeoutMs);
    // 'close', not 'exit': the last of a long output can arrive after the process has exited.
    child.on('close', (code, signal) => {
      limit.clear();
      children.delete(child);
      const line = out.split('\n').reverse().find((l) => l.startsWith('@result '));
      if (code === 0 && line) return resolve(JSON.parse(line.slice('@result '.length)));
      const tolerated = !limit.expired() && tolerate?.(err, code, signal);
      if (tolerated) return resolve(tolerated);
      const what = `${script.split('/').pop()} ${JSON.stringify(job)} ${nodeArgs.join(' ')}`;
      const how = limit.expired() ?? `exit ${code}${signal ? `, ${signal}` : ''}`;
      reject(new Error(`${what} failed (${how}):\n${err.slice(-3000)}${out.slice(-1000)}`));
    });
  });
}

/** JSON over loopback to a control route. */
export async function control(url, method = 'GET') {
  const res = await fetch(url, { method });
  if (!res.ok) throw new Error(`${method} ${url}: HTTP ${res.status}`);
  return res.status === 204 ? undefined : res.json();
}

/**
 * Starts a worker that is driven over stdin (the `warm` job): resolves once it prints `@ready`;
 * `block(n)` runs n invocations and resolves with its `@block {…}`; `end()` with its `@result {…}`.
 */
export function startInteractive({ nodeArgs = [], script, job, env, timeoutMs = 600_000 }) {
  const child = spawn(process.execPath, [...nodeArgs, script, JSON.stringify(job)], { cwd: root, env, stdio: ['pipe', 'pipe', 'pipe'] });
  children.add(child);
  let out = '';
  let err = '';
  let waiter;
  // Where the search for the awaited tag resumes: the functions' own lines (a summary and an EMF
  // line per invocation, as deployed) stream through here, and rescanning them on every chunk would
  // slow this reader until the worker's synchronous pipe writes block — a cost Lambda does not have.
  let scanned = 0;
  const limit = deadline(child, timeoutMs);
  const failure = () =>
    new Error(`worker ${JSON.stringify(job)} ${nodeArgs.join(' ')} failed (${limit.expired() ?? `exit ${child.exitCode}`}):\n${err.slice(-3000)}`);
  const take = () => {
    if (!waiter) return;
    const i = out.indexOf(`\n${waiter.tag}`, Math.max(0, scanned - waiter.tag.length - 1));
    if (i < 0) {
      // Keep only the last, possibly partial, line.
      const lastLine = out.lastIndexOf('\n');
      if (lastLine > 0) out = out.slice(lastLine);
      scanned = out.length;
      return;
    }
    const end = out.indexOf('\n', i + 1 + waiter.tag.length);
    if (end < 0) return;
    const payload = out.slice(i + 1 + waiter.tag.length, end).trim();
    out = out.slice(end);
    scanned = 0;
    const w = waiter;
    waiter = undefined;
    w.resolve(payload ? JSON.parse(payload) : undefined);
  };
  child.stdout.on('data', (d) => {
    out += d;
    take();
  });
  child.stderr.on('data', (d) => {
    err += d;
    if (err.length > 1_000_000) err = err.slice(-100_000);
  });
  child.on('close', () => {
    limit.clear();
    children.delete(child);
    if (waiter) {
      take();
      waiter?.reject(failure());
    }
  });
  const expect = (tag) =>
    new Promise((resolve, reject) => {
      if (child.exitCode !== null) return reject(failure());
      waiter = { tag, resolve, reject };
      take();
    });
  return {
    ready: expect('@ready'),
    async block(n) {
      const p = expect('@block ');
      child.stdin.write(`block ${n}\n`);
      return p;
    },
    async end() {
      const p = expect('@result ');
      child.stdin.end('end\n');
      return p;
    },
  };
}
