import { defaultReserveMs, flushMarginMs } from '../telemetry/flush-margin.ts';

/**
 * The invocation's time, in one place. Lambda's remaining time minus a reserve is the budget every
 * Perkamo request, retry and wait must fit; the reserve is what reporting failures and flushing
 * spans need. Every other margin is derived from the reserve here, so they cannot disagree.
 */
export class Budget {
  /** PERKAMO_DEADLINE_RESERVE_MS's default. */
  static readonly defaultReserveMs = defaultReserveMs;
  /** The remaining time assumed when no Lambda context tells it (local runs, plain tests): Lambda's default timeout is 3 s, ours 10 s. */
  static readonly unknownRemainingMs = 10_000;

  constructor(readonly reserveMs: number = Budget.defaultReserveMs) {}

  /** The invocation's remaining time, as its Lambda context tells it. */
  remainingMs(context: { getRemainingTimeInMillis?: () => number } | undefined): number {
    return typeof context?.getRemainingTimeInMillis === 'function' ? context.getRemainingTimeInMillis() : Budget.unknownRemainingMs;
  }

  /** Epoch ms by which all Perkamo work must be over, for an invocation with `remainingMs` left. */
  deadline(remainingMs: number, now: number = Date.now()): number {
    return now + Math.max(0, remainingMs - this.reserveMs);
  }

  /** middy's backstop: a handler still running this close to Lambda's timeout answers "failed" (half the reserve). */
  get earlyTimeoutMs(): number {
    return Math.max(20, Math.floor(this.reserveMs / 2));
  }

  /** Kept free after the final span flush, so the answer still leaves before Lambda's timeout (the layer's rule too). */
  get flushMarginMs(): number {
    return flushMarginMs(this.reserveMs);
  }
}
