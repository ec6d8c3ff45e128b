// One owner for the invocation's time (issue 14): the deadline and every margin derive from the reserve.
import { describe, expect, it } from 'vitest';
import { BudgetExhaustedError } from '../../src/lambda/errors.ts';
import { Budget } from '../../src/lambda/budget.ts';
import { PerkamoDeadlineExceededError, PerkamoNetworkError, PerkamoTimeoutError, isTimeoutError } from '../../src/sdk/index.ts';

describe('Budget', () => {
  it('keeps the reserve back from the remaining time, never below now', () => {
    const budget = new Budget(500);
    expect(budget.deadline(3_000, 1_000_000)).toBe(1_002_500);
    expect(budget.deadline(200, 1_000_000)).toBe(1_000_000);
  });

  it('derives the early timeout (half the reserve) and the flush margin (a fifth) from the reserve, with floors', () => {
    expect(new Budget()).toMatchObject({ reserveMs: 500, earlyTimeoutMs: 250, flushMarginMs: 100 });
    expect(new Budget(2_000)).toMatchObject({ earlyTimeoutMs: 1_000, flushMarginMs: 400 });
    expect(new Budget(0)).toMatchObject({ earlyTimeoutMs: 20, flushMarginMs: 20 });
  });

  it("reads the remaining time from Lambda's context, with one fallback for runs without one (deadline and flush alike)", () => {
    const budget = new Budget();
    expect(budget.remainingMs({ getRemainingTimeInMillis: () => 1_234 })).toBe(1_234);
    expect(budget.remainingMs(undefined)).toBe(Budget.unknownRemainingMs);
    expect(budget.remainingMs({})).toBe(Budget.unknownRemainingMs);
  });
});

describe('isTimeoutError: timeouts recognised in one place', () => {
  it.each([
    ['an attempt that got no answer', new PerkamoTimeoutError('emit', 100), true],
    ['a request not started for lack of time', new PerkamoDeadlineExceededError('emit', 3), true],
    ['the invocation out of time', new BudgetExhaustedError('out of time'), true],
    ["AbortSignal.timeout()'s error", new DOMException('The operation timed out.', 'TimeoutError'), true],
    ['a network failure', new PerkamoNetworkError('emit', new Error('reset')), false],
    ['a plain error', new Error('x'), false],
    ['nothing', undefined, false],
  ])('%s → %s', (_what, error, timeout) => {
    expect(isTimeoutError(error)).toBe(timeout);
  });
});
