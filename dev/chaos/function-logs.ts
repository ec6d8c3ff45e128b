/**
 * The functions' lines on process.stdout. They run in-process (the local stack, the chaos runs, the
 * tests) and write their JSON log lines and EMF lines to stdout, as Lambda wants; this module is the
 * one place that tells those writes from the rest: `interceptFunctionLines`. Its users: the chaos
 * tap below (the reason a record failed comes from the function's own summary line, not from the
 * batch answer, which only names the record), `npm start`'s readable lines (dev/cli/start.ts) and
 * the tests' held logs (test/helpers/held-function-logs.ts).
 */

/** One of the functions' log lines or EMF lines, parsed: fields are as the function wrote them, unchecked. */
export type FunctionLine = Record<string, unknown> & {
  function_name?: unknown;
  _aws?: unknown;
  failures?: { id?: unknown; error?: unknown; code?: unknown; message?: unknown; [field: string]: unknown }[];
};

/** One of the functions' log lines or EMF lines (the logger's lines carry function_name), else undefined. */
export function functionLine(text: string): FunctionLine | undefined {
  try {
    const line = JSON.parse(text) as FunctionLine;
    return typeof line?.function_name === 'string' || line?._aws !== undefined ? line : undefined;
  } catch {
    return undefined;
  }
}

/** A write to stdout made only of the functions' lines: one invocation's summary and EMF lines leave together. */
export interface FunctionWrite {
  /** The write as the function made it. */
  text: string;
  lines: FunctionLine[];
}

export interface FunctionLineInterception {
  /** Writes to stdout past the interception (the writer that was there before it). */
  write(text: string): boolean;
  /** Removes the interception, unless another writer has replaced it since. */
  restore(): void;
}

/**
 * Replaces process.stdout.write: a write made only of the functions' lines goes to `onWrite`, not to
 * the terminal; any other write (a partial line, a waterfall, the stack's own lines) passes through.
 */
export function interceptFunctionLines(onWrite: (write: FunctionWrite) => void): FunctionLineInterception {
  const original = process.stdout.write;
  const intercepting = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]): boolean {
    const texts = typeof chunk === 'string' && chunk.startsWith('{') ? chunk.split('\n').filter((text) => text !== '') : [];
    const lines = texts.map(functionLine);
    if (texts.length > 0 && lines.every((line) => line !== undefined)) {
      onWrite({ text: chunk as string, lines: lines as FunctionLine[] });
      (rest.find((r) => typeof r === 'function') as (() => void) | undefined)?.();
      return true;
    }
    return (original as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
  } as typeof process.stdout.write;
  process.stdout.write = intercepting;
  return {
    write: (text) => (original as (text: string) => boolean).call(process.stdout, text),
    restore: () => {
      if (process.stdout.write === intercepting) process.stdout.write = original;
    },
  };
}

/** What a function's summary line says of a record it failed. */
export interface FunctionFailure {
  /** The record id the function logged: SQS messageId, EventBridge event id. */
  id: string;
  error: string;
  message: string;
}

/**
 * Keeps the functions' lines off the terminal and hands each failure a summary line names to
 * `onFailure`. Returns the function that removes the tap.
 */
export function tapFunctionLogs(onFailure: (failure: FunctionFailure) => void): () => void {
  return interceptFunctionLines(({ lines }) => {
    for (const line of lines) {
      for (const f of line.failures ?? []) {
        if (typeof f.id === 'string') onFailure({ id: f.id, error: String(f.error), message: String(f.message) });
      }
    }
  }).restore;
}
