// Date#toISOString for epoch milliseconds that come in runs close together (a log line's now, a
// batch's SentTimestamps): within the second of the last call only the milliseconds are written —
// a full Date formatting is otherwise most of the work. Each user keeps its own formatter, so that
// one run of times does not thrash another's.

/** A `new Date(ms).toISOString()` that remembers the last whole second it wrote. */
export function isoFormatter(): (ms: number) => string {
  // The last whole second formatted, and its text up to the milliseconds (`2026-06-01T10:00:00.`).
  let lastSecond = Number.NaN;
  let prefix = '';
  return function isoText(ms: number): string {
    const second = Math.floor(ms / 1000);
    if (second === lastSecond && Number.isInteger(ms)) return `${prefix}${String(ms - second * 1000).padStart(3, '0')}Z`;
    // Past the year 275760 this throws, as Date#toISOString does.
    const text = new Date(ms).toISOString();
    // Years before 0 or past 9999 are written with a sign and six digits: those are not reused.
    lastSecond = text.length === 24 ? second : Number.NaN;
    prefix = text.slice(0, 20);
    return text;
  };
}
