import { describe, expect, it } from 'vitest';
import { assertSafeEventInput, createTransactionId, limits } from '../../src/core/index.ts';
import { expectValidationError } from './expect-error.ts';

const uuidV4 = '[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}';

describe('createTransactionId', () => {
  it('returns tx_<uuid v4> by default', () => {
    expect(createTransactionId()).toMatch(new RegExp(`^tx_${uuidV4}$`));
    expect(createTransactionId(undefined)).toMatch(new RegExp(`^tx_${uuidV4}$`));
  });

  it('is unique across 1000 calls', () => {
    const ids = Array.from({ length: 1000 }, () => createTransactionId());
    expect(new Set(ids).size).toBe(1000);
    for (const id of ids) expect(id).toMatch(new RegExp(`^tx_${uuidV4}$`));
  });

  it.each(['order', 'lesson:intro', 'shop.checkout', 'a-b_c', 'X', '0', 'p'.repeat(limits.transactionIdPrefixBytes)])(
    'uses the prefix %s in place of tx',
    (prefix) => {
      const id = createTransactionId(prefix);
      expect(id).toMatch(new RegExp(`^${prefix.replace(/[.]/g, '\\.')}_${uuidV4}$`));
      expect(id.startsWith('tx_')).toBe(prefix === 'tx');
    },
  );

  it('gives order_<uuid> for the prefix order', () => {
    expect(createTransactionId('order')).toMatch(new RegExp(`^order_${uuidV4}$`));
  });

  it('produces a valid transaction_id even with the longest prefix', () => {
    const transaction_id = createTransactionId('p'.repeat(limits.transactionIdPrefixBytes));
    expect(() =>
      assertSafeEventInput({ user_id: 'customer_123', event: 'purchase.completed', transaction_id }),
    ).not.toThrow();
  });

  it.each([
    ['empty', ''],
    ['a space', ' '],
    ['containing a space', 'my order'],
    ['with a trailing newline', 'order\n'],
    [`${limits.transactionIdPrefixBytes + 1} characters`, 'p'.repeat(limits.transactionIdPrefixBytes + 1)],
    ['containing a slash', 'a/b'],
    ['non-ASCII', 'bestellung-ä'],
    ['a number', 42],
    ['null', null],
    ['an object', { prefix: 'order' }],
  ])('refuses a prefix that is %s', (_label, prefix) => {
    expectValidationError(() => createTransactionId(prefix as string), {
      field: 'prefix',
      reason: 'invalid_prefix',
      message: [`1–${limits.transactionIdPrefixBytes} characters`],
    });
  });
});
