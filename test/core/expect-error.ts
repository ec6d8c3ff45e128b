import { expect } from 'vitest';
import { PerkamoValidationError } from '../../src/core/index.ts';

/** Runs `fn` and returns what it threw; fails the test when it returns normally. */
export function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to throw, but it returned normally');
}

export interface ExpectedValidationError {
  field: string;
  reason: string;
  /** Extra fragments the message must contain (a limit, a type name, a hint). */
  message?: Array<string | RegExp>;
  /** The message names the field in quotes (`'context.items[2].price'`); true unless said otherwise. */
  namesField?: boolean;
}

/** Asserts that `fn` throws a PerkamoValidationError with this field path, reason and message. */
export function expectValidationError(fn: () => unknown, expected: ExpectedValidationError): PerkamoValidationError {
  const error = thrownBy(fn);
  expect(error).toBeInstanceOf(PerkamoValidationError);
  const e = error as PerkamoValidationError;
  expect(e.name).toBe('PerkamoValidationError');
  expect({ field: e.field, reason: e.reason }).toEqual({ field: expected.field, reason: expected.reason });
  if (expected.namesField ?? true) expect(e.message).toContain(`'${expected.field}'`);
  for (const fragment of expected.message ?? []) {
    if (typeof fragment === 'string') expect(e.message).toContain(fragment);
    else expect(e.message).toMatch(fragment);
  }
  return e;
}
