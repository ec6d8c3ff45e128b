/**
 * The invocation's time, in one place. Lambda's remaining time minus a reserve is the budget every
 * Perkamo request, retry and wait must fit; the reserve is what reporting failures and flushing
 * spans need. Every other margin is derived from the reserve here, so they cannot disagree.
 */
export class Budget {
  /** PERKAMO_DEADLINE_RESERVE_MS's default. */
  static readonly defaultReserveMs = 500;

  constructor(readonly reserveMs: number = Budget.defaultReserveMs) {}

  /** Epoch ms by which all Perkamo work must be over, for an invocation with `remainingMs` left. */
  deadline(remainingMs: number, now: number = Date.now()): number {
    return now + Math.max(0, remainingMs - this.reserveMs);
  }

  /** middy's backstop: a handler still running this close to Lambda's timeout answers "failed" (half the reserve). */
  get earlyTimeoutMs(): number {
    return Math.max(20, Math.floor(this.reserveMs / 2));
  }

  /** Kept free after the final span flush, so the answer still leaves before Lambda's timeout (a fifth of the reserve). */
  get flushMarginMs(): number {
    return Math.max(20, Math.floor(this.reserveMs / 5));
  }
}
