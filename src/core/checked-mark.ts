/**
 * What the edge has checked, marked on the objects themselves: an event checked once (by the
 * function's parser) is not checked again by the client, and its context's size bound is kept for
 * a single emit that rebuilds the body around it (validation.ts). The marks are private class
 * fields, added through a base constructor that returns the object it is given: no code outside
 * this module can add, read or forge one, and they are invisible to JSON.stringify (which keeps its
 * fast path), Object.keys, spread and structuredClone — a copy of a checked event is not checked.
 * Measured per SQS record (bench, instant stub): a WeakSet of events and a WeakMap of contexts, the
 * marks before these, cost ≈ 1.5 µs more (each entry grows a weak table the collector must process);
 * freezing the events as well cost ≈ 1 µs more; a mark under a symbol property was measured ≈ 6 µs
 * more. An object that cannot be extended is not marked: it is checked again.
 */
class Stamp {
  constructor(target: object) {
    return target as Stamp;
  }
}

class CheckedEventMark extends Stamp {
  readonly #checked = true;

  static isOn(value: unknown): boolean {
    return typeof value === 'object' && value !== null && #checked in value;
  }
}

class CheckedContextMark extends Stamp {
  readonly #maxBytes: number;

  constructor(target: object, maxBytes: number) {
    super(target);
    this.#maxBytes = maxBytes;
  }

  static maxBytesOf(value: unknown): number | undefined {
    return typeof value === 'object' && value !== null && #maxBytes in value ? value.#maxBytes : undefined;
  }
}

/** True when `value` was marked by `markCheckedEvent`. */
export const isCheckedEvent = (value: unknown): boolean => CheckedEventMark.isOn(value);

/**
 * Marks a checked event that the caller has just found unmarked (isCheckedEvent). An object that
 * cannot be extended is left unmarked. A second mark throws (V8: a private field added twice), and
 * that is kept: the one caller (checkedEvent) must ask isCheckedEvent first anyway, to skip the
 * checks, so asking again here would be the same test twice per SQS record; and a caller that
 * marks without asking has checked an event it need not have, a bug the throw shows in the tests.
 */
export function markCheckedEvent(event: object): void {
  if (Object.isExtensible(event)) new CheckedEventMark(event);
}

/** The upper bound of a checked context's JSON size, when it was marked (any value may be asked about). */
export const checkedContextBytes = (context: unknown): number | undefined => CheckedContextMark.maxBytesOf(context);

/** Marks a checked context with the upper bound of its JSON size (once: a context may be shared). */
export function markCheckedContext(context: object, maxBytes: number): void {
  if (CheckedContextMark.maxBytesOf(context) === undefined && Object.isExtensible(context)) new CheckedContextMark(context, maxBytes);
}
