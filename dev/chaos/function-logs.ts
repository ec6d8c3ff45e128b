/**
 * The function log tap: the reason a record failed comes from the function's own failure log line,
 * not from the batch answer (which only names the record).
 */
export interface FunctionFailure {
  /** The record id the function logged: SQS messageId, EventBridge event id. */
  id: string;
  error: string;
  message: string;
}

/**
 * Taps the functions' JSON log lines (they write to process.stdout): each failure a summary line
 * names goes to `onFailure`, and the functions' lines (EMF lines too) are kept off the terminal. Other output passes through.
 * Returns the function that removes the tap.
 */
export function tapFunctionLogs(onFailure: (failure: FunctionFailure) => void): () => void {
  const original = process.stdout.write;
  const tapped = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]): boolean {
    // One write may hold several lines: an invocation's summary and EMF lines leave together.
    const lines = typeof chunk === 'string' && chunk.startsWith('{') ? chunk.split('\n').filter((text) => text !== '') : [];
    const ours = lines.map(functionLine);
    if (lines.length > 0 && ours.every((line) => line !== undefined)) {
      for (const line of ours) {
        for (const f of line!.failures ?? []) {
          if (typeof f.id === 'string') onFailure({ id: f.id, error: String(f.error), message: String(f.message) });
        }
      }
      const callback = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      callback?.();
      return true;
    }
    return (original as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
  } as typeof process.stdout.write;
  process.stdout.write = tapped;
  return () => {
    if (process.stdout.write === tapped) process.stdout.write = original;
  };
}

type FunctionLine = { function_name?: unknown; _aws?: unknown; failures?: { id?: unknown; error?: unknown; message?: unknown }[] };

/** One of the functions' log lines or EMF lines (the logger's lines carry function_name), else undefined. */
export function functionLine(text: string): FunctionLine | undefined {
  try {
    const line = JSON.parse(text) as FunctionLine;
    return typeof line.function_name === 'string' || line._aws !== undefined ? line : undefined;
  } catch {
    return undefined;
  }
}
