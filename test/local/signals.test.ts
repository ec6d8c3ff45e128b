// Stopping what a user started, the way a user or a supervisor stops it: SIGTERM to the PID they
// have, npm's. The script runs its node with `exec`, so npm's child is the process that holds the
// ports, and npm forwards the signal to it (with `sh -c` in between, the shell died and node was
// orphaned, holding 3000, 4001 and 4566). Each run happens in a copy of the project, because both
// commands build first and the suite's other files read this checkout's dist/.
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readlinkSync, rmSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../dev/stack/lambda.ts';

const root = projectRoot();
const copies: string[] = [];
const groups: number[] = [];
afterAll(() => {
  // Whatever a failed run left behind, gone before the copies are: npm's process group, and the
  // groups of whatever runs in a copy — `npm start` runs the stack in a process group of its own.
  const kill = (pid: number) => {
    for (const target of [-pid, pid]) {
      try {
        process.kill(target, 'SIGKILL');
      } catch {
        // already ended, or no group of that id
      }
    }
  };
  for (const pid of groups) kill(pid);
  for (const pid of readdirSync('/proc').filter((entry) => /^\d+$/.test(entry))) {
    try {
      const cwd = readlinkSync(`/proc/${pid}/cwd`);
      if (copies.some((dir) => cwd === dir || cwd.startsWith(`${dir}/`))) kill(Number(pid));
    } catch {
      // gone, or not ours to read
    }
  }
  for (const dir of copies) rmSync(dir, { recursive: true, force: true });
});

/** What the build and the commands read, copied; node_modules linked. */
function projectCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'perkamo-signals-'));
  copies.push(dir);
  for (const entry of ['package.json', 'esbuild.config.mjs', 'esbuild.options.mjs', 'tsconfig.json', 'tsconfig.types.json', 'src', 'dev', 'functions', 'layers', 'scripts', 'events']) {
    cpSync(join(root, entry), join(dir, entry), { recursive: true });
  }
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

const portFree = (port: number) =>
  new Promise<boolean>((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });

/** Starts `npm run <script>` and waits until its output shows every port it listens on. */
async function started(script: string, args: string[], ports: (out: string) => number[] | undefined) {
  const child: ChildProcess = spawn('npm', ['run', script, '--', ...args], { cwd: projectCopy(), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  groups.push(child.pid!);
  let out = '';
  child.stdout!.on('data', (chunk) => (out += chunk));
  child.stderr!.on('data', (chunk) => (out += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + 90_000;
  for (;;) {
    const found = ports(out);
    if (found) return { child, exited, ports: found, out: () => out };
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`npm run ${script} did not start:\n${out.slice(-2000)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const portsIn = (out: string, labels: string[]) => {
  const ports = labels.map((label) => out.match(new RegExp(`${label}\\s+http://127\\.0\\.0\\.1:(\\d+)`))?.[1]);
  return ports.every(Boolean) ? ports.map(Number) : undefined;
};

describe('SIGTERM to the PID npm has', () => {
  it.each([
    ['start', ['--port', '0', '--emulator-port', '0', '--sqs-port', '0'], (out: string) => portsIn(out, ['HTTP API', 'Emulator', 'SQS'])],
    ['emulator', ['--port', '0', '--quiet'], (out: string) => portsIn(out, ['Perkamo emulator listening on'])],
  ] as const)('npm run %s: stops the process holding the ports; they are free within 3 s and npm exits 0', async (script, args, ports) => {
    const run = await started(script, [...args], ports);
    expect(run.ports.length).toBeGreaterThan(0);
    for (const port of run.ports) expect(await portFree(port), `port ${port} is held while running`).toBe(false);
    run.child.kill('SIGTERM');
    const code = await Promise.race([run.exited, new Promise((resolve) => setTimeout(() => resolve('still running after 3 s'), 3_000))]);
    expect(code, run.out().slice(-1500)).toBe(0);
    for (const port of run.ports) expect(await portFree(port), `port ${port} still held after SIGTERM`).toBe(true);
  }, 120_000);
});
