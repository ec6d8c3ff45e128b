/**
 * The processes of an execution environment (the runtime, external extensions), each started as
 * the leader of its own process group, so that a signal reaches whatever it started too: SIGSTOP
 * freezes, SIGCONT thaws, SIGTERM / SIGKILL end. Their stdout and stderr are read line by line.
 * Every live group is killed when this process exits, by a signal or otherwise.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The process could not be started at all (ENOENT, EACCES, …). */
  error?: Error;
}

export interface GroupProcess {
  readonly name: string;
  readonly pid: number | undefined;
  /** Set once the process has exited. */
  readonly exitStatus: ExitStatus | undefined;
  /** Resolves once the process has exited and its output is read to the end. */
  readonly closed: Promise<ExitStatus>;
  /** Signals the whole process group; false when it is gone. */
  signal(signal: NodeJS.Signals): boolean;
}

export interface SpawnGroupOptions {
  name: string;
  cwd: string;
  env: Record<string, string>;
  onLine: (line: string, stream: 'stdout' | 'stderr') => void;
  onExit: (status: ExitStatus) => void;
}

const live = new Set<number>();
let cleanupInstalled = false;

function killLiveGroups(): void {
  for (const pgid of live) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
  live.clear();
}

function installCleanup(): void {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  process.on('exit', killLiveGroups);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = () => {
      killLiveGroups();
      // Alone on this signal: keep its default meaning (end the process) once the groups are gone.
      if (process.listenerCount(signal) === 1) {
        process.removeListener(signal, onSignal);
        process.kill(process.pid, signal);
      }
    };
    process.on(signal, onSignal);
  }
}

/** Starts `command` as the leader of a new process group (`detached`), stdin closed. */
export function spawnGroup(command: string, args: string[], options: SpawnGroupOptions): GroupProcess {
  installCleanup();
  const child = spawn(command, args, { cwd: options.cwd, env: options.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const pid = child.pid;
  if (pid !== undefined) live.add(pid);
  let exitStatus: ExitStatus | undefined;
  const exited = (status: ExitStatus) => {
    if (exitStatus) return;
    exitStatus = status;
    if (pid !== undefined) live.delete(pid);
    options.onExit(status);
  };
  readLines(child.stdout, (line) => options.onLine(line, 'stdout'));
  readLines(child.stderr, (line) => options.onLine(line, 'stderr'));
  const closed = new Promise<ExitStatus>((resolve) => {
    child.once('error', (error) => {
      exited({ code: null, signal: null, error });
      resolve(exitStatus!);
    });
    child.once('exit', (code, signal) => exited({ code, signal }));
    child.once('close', (code, signal) => {
      exited({ code, signal });
      resolve(exitStatus!);
    });
  });
  return {
    name: options.name,
    pid,
    get exitStatus() {
      return exitStatus;
    },
    closed,
    signal(signal) {
      if (pid === undefined || exitStatus) return false;
      try {
        process.kill(-pid, signal);
        return true;
      } catch {
        return false;
      }
    },
  };
}

/**
 * Resolves once every thread of these processes is stopped (SIGSTOP delivered: state T in
 * /proc/<pid>/task/<tid>/stat), or after `timeoutMs`. kill() only queues the signal: a process
 * running on another CPU finishes its current system call first (a file write, say). Where /proc
 * cannot be read, resolves at once.
 */
export async function untilStopped(processes: GroupProcess[], timeoutMs = 200): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (processes.every((proc) => proc.pid === undefined || proc.exitStatus !== undefined || threadsStopped(proc.pid))) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

function threadsStopped(pid: number): boolean {
  let threads: string[];
  try {
    threads = readdirSync(`/proc/${pid}/task`);
  } catch {
    return true; // gone, or no /proc
  }
  return threads.every((tid) => {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      // pid (comm) state …: comm may hold spaces and parentheses, the state follows the last ')'.
      const state = stat.charAt(stat.lastIndexOf(')') + 2);
      return state === 'T' || state === 't' || state === 'Z' || state === 'X';
    } catch {
      return true; // the thread has ended
    }
  });
}

/** `exit status 1`, `signal: killed`: how Lambda words a runtime's end (Go's ProcessState). */
export function describeExit(status: ExitStatus): string {
  if (status.error) return status.error.message;
  if (status.signal) return `signal: ${signalWords[status.signal] ?? status.signal}`;
  return `exit status ${status.code ?? 0}`;
}

const signalWords: Partial<Record<NodeJS.Signals, string>> = {
  SIGKILL: 'killed',
  SIGTERM: 'terminated',
  SIGABRT: 'aborted',
  SIGSEGV: 'segmentation fault',
  SIGINT: 'interrupt',
  SIGBUS: 'bus error',
};

/** Calls `onLine` for each line of `stream`; an unterminated last line is delivered at the end. */
function readLines(stream: Readable | null, onLine: (line: string) => void): void {
  if (!stream) return;
  stream.setEncoding('utf8');
  let partial = '';
  stream.on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) onLine(line.endsWith('\r') ? line.slice(0, -1) : line);
  });
  stream.on('end', () => {
    if (partial) onLine(partial);
    partial = '';
  });
}
