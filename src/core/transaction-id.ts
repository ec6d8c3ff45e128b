import { randomUUID } from 'node:crypto';
import { PerkamoValidationError } from './errors.ts';
import { limits } from './limits.ts';

/**
 * A fresh idempotency key: `tx_<uuid v4>`. A prefix replaces `tx`, so `createTransactionId('order')`
 * gives `order_3b0c…`; it must be 1–64 characters of letters, digits and `_ . : -`.
 * Prefer a stable business id (order id, `lesson:intro:user:42`) where one exists: only a stable id
 * makes a retry of the same action a duplicate rather than a second award.
 */
export function createTransactionId(prefix = 'tx'): string {
  if (
    typeof prefix !== 'string' ||
    prefix.length === 0 ||
    prefix.length > limits.transactionIdPrefixBytes ||
    !/^[A-Za-z0-9_.:-]+$/.test(prefix)
  ) {
    throw new PerkamoValidationError(
      'prefix',
      'invalid_prefix',
      `'prefix' must be 1–${limits.transactionIdPrefixBytes} characters of letters, digits and _ . : -`,
    );
  }
  return `${prefix}_${randomUUID()}`;
}
