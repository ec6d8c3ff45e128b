import { describe, expect, it } from 'vitest';
import { assertSafeEventInput, PerkamoValidationError } from '../../src/core/index.ts';
import { thrownBy } from './expect-error.ts';

function validationErrorOf(fn: () => unknown): PerkamoValidationError {
  const error = thrownBy(fn);
  expect(error).toBeInstanceOf(PerkamoValidationError);
  return error as PerkamoValidationError;
}

const event = {
  user_id: 'customer_123',
  event: 'purchase.completed',
  transaction_id: 'order_1001',
  context: { items: [{ price: 1 }, { price: 2 }, { price: Number.NaN }] },
};

describe('PerkamoValidationError', () => {
  it('is an Error with a name, a field and a reason', () => {
    const error = new PerkamoValidationError('user_id', 'required', "'user_id' is required");
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('PerkamoValidationError');
    expect(error.field).toBe('user_id');
    expect(error.reason).toBe('required');
    expect(error.message).toBe("'user_id' is required");
    expect(String(error)).toBe("PerkamoValidationError: 'user_id' is required");
  });
});

describe('PerkamoValidationError.within(prefix)', () => {
  it.each([
    ['user_id', 'events[3]', 'events[3].user_id'],
    ['context.items[2].price', 'events[3]', 'events[3].context.items[2].price'],
    ['[2]', 'events', 'events[2]'],
    ['[2].sku', 'items', 'items[2].sku'],
    ['["order-info"].total', 'context', 'context["order-info"].total'],
    ['traits', 'body', 'body.traits'],
  ])('places %s under %s as %s', (field, prefix, expected) => {
    const original = new PerkamoValidationError(field, 'some_reason', `'${field}' is wrong; fix '${field}'`);
    const moved = original.within(prefix);
    expect(moved).toBeInstanceOf(PerkamoValidationError);
    expect(moved).not.toBe(original);
    expect(moved.field).toBe(expected);
    expect(moved.reason).toBe('some_reason');
    expect(moved.message).toBe(`'${expected}' is wrong; fix '${expected}'`);
    // The original error is left as it was.
    expect(original.field).toBe(field);
    expect(original.message).toBe(`'${field}' is wrong; fix '${field}'`);
  });

  it('rewrites only the quoted field, not other text that contains it', () => {
    const error = new PerkamoValidationError('event', 'empty', "'event' must not be empty; an event needs a name");
    expect(error.within('events[0]').message).toBe("'events[0].event' must not be empty; an event needs a name");
  });

  it.each(["l$", "a$'b", '$&', '$$', '$`', "$'".repeat(50)])('keeps a field name that looks like a replacement pattern (%s) as it is', (key) => {
    const error = new PerkamoValidationError(`context.${key}`, 'unknown', `'context.${key}' is not allowed`).within('events[0]');
    expect(error.field).toBe(`events[0].context.${key}`);
    expect(error.message).toBe(`'events[0].context.${key}' is not allowed`);
  });

  it('can be applied twice', () => {
    const error = new PerkamoValidationError('user_id', 'too_long', "'user_id' is 300 bytes").within('events[3]').within('body');
    expect(error.field).toBe('body.events[3].user_id');
    expect(error.message).toBe("'body.events[3].user_id' is 300 bytes");
  });

  it('prefixes a real error raised deep inside an event', () => {
    const error = validationErrorOf(() => assertSafeEventInput(event)).within('events[3]');
    expect(error.field).toBe('events[3].context.items[2].price');
    expect(error.reason).toBe('not_finite');
    expect(error.message).toContain("'events[3].context.items[2].price'");
  });

  it('prefixes an empty-key error so its message names the full path', () => {
    const error = validationErrorOf(() => assertSafeEventInput({ ...event, context: { order: { '': 1 } } })).within('events[1]');
    expect(error.field).toBe('events[1].context.order[""]');
    expect(error.reason).toBe('empty_key');
    expect(error.message).toContain(`'events[1].context.order[""]'`);
  });

  it('prefixes an error about the whole event (empty field) as the prefix itself', () => {
    const original = validationErrorOf(() => assertSafeEventInput(null));
    expect(original.field).toBe('');
    const error = original.within('events[3]');
    expect(error.field).toBe('events[3]');
    expect(error.reason).toBe('not_object');
    expect(error.message).toContain("'events[3]'");
    expect(error.message).toContain('an event must be a JSON object');
  });
});
