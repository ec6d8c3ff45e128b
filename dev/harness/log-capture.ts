/**
 * What an environment's processes print: every line, in order, and each invocation's share of them.
 * With concurrent invocations the lines interleave; a line is told apart by the request ids it names.
 */
import type { LogSource } from './types.ts';

export class LogCapture {
  readonly lines: string[] = [];
  /** For each log line, the invocations in flight when it arrived (to split concurrent invocations' logs). */
  #inFlight: (readonly string[])[] = [];
  readonly #inFlightIds: () => readonly string[];
  readonly #onLog: (line: string, source: LogSource) => void;

  constructor(inFlightIds: () => readonly string[], onLog: (line: string, source: LogSource) => void) {
    this.#inFlightIds = inFlightIds;
    this.#onLog = onLog;
  }

  add(line: string, source: LogSource): void {
    this.lines.push(line);
    this.#inFlight.push(this.#inFlightIds());
    this.#onLog(line, source);
  }

  /** The lines from index `from` on that are `requestId`'s. */
  of(requestId: string, from: number, concurrent: boolean): string[] {
    const lines: string[] = [];
    for (let index = from; index < this.lines.length; index++) {
      const line = this.lines[index]!;
      // Concurrent invocations: a line naming another invocation in flight is that one's.
      const others = (this.#inFlight[index] ?? []).filter((id) => id !== requestId);
      if (concurrent && !line.includes(requestId) && others.some((id) => line.includes(id))) continue;
      lines.push(line);
    }
    return lines;
  }
}
