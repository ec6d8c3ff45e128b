/** The base of every error this package raises, so `catch (e) { if (e instanceof PerkamoError) … }` works. */
export class PerkamoError extends Error {
  override readonly name: string = 'PerkamoError';
  /** True on the errors that mean time ran out (an attempt's timeout, the deadline, the budget). */
  get timeout(): boolean {
    return false;
  }
}

/**
 * Gives each class its own name as `constructor.name`, which minified bundles lose (`Re`) and
 * Lambda's runtime client logs as `errorType`. Call it with an object literal, `{ PerkamoError }`:
 * its keys survive minification.
 */
export function keepClassNames(classes: Record<string, abstract new (...args: never[]) => unknown>): void {
  for (const [name, cls] of Object.entries(classes)) Object.defineProperty(cls, 'name', { value: name, configurable: true });
}

/**
 * Whether an error says time ran out: ours by their `timeout` mark, the platform's by the name
 * `AbortSignal.timeout()` gives (`TimeoutError`). The one place timeouts are recognised.
 */
export function isTimeoutError(error: unknown): boolean {
  const e = error as { timeout?: unknown; name?: unknown } | null | undefined;
  return e?.timeout === true || e?.name === 'TimeoutError';
}

/**
 * Raised before anything is sent when an input breaks a Perkamo rule. `field` is the path of the
 * offending value (`context.items[2].sku`, `events[3].transaction_id`), so callers — HTTP 400
 * bodies, failed SQS records — can point at it without parsing the message.
 */
export class PerkamoValidationError extends PerkamoError {
  override readonly name = 'PerkamoValidationError';
  readonly field: string;
  /** A short machine-readable reason, e.g. `too_long`, `reserved_key`, `required`. */
  readonly reason: string;

  constructor(field: string, reason: string, message: string) {
    super(message);
    this.field = field;
    this.reason = reason;
  }

  /** The same error, its path placed under `prefix` (`events[3]` + `user_id` → `events[3].user_id`). */
  within(prefix: string): PerkamoValidationError {
    // An error about the value itself (field '') becomes an error about `prefix`; its message names no path yet.
    if (this.field === '') return new PerkamoValidationError(prefix, this.reason, `'${prefix}': ${this.message}`);
    const field = this.field.startsWith('[') ? `${prefix}${this.field}` : `${prefix}.${this.field}`;
    // A replacer function, not a string: `$'`, `$&` or `$$` in a field name would otherwise act as patterns.
    return new PerkamoValidationError(field, this.reason, this.message.replaceAll(`'${this.field}'`, () => `'${field}'`));
  }
}

keepClassNames({ PerkamoError, PerkamoValidationError });
