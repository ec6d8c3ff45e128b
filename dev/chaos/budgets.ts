/**
 * How hard a chaos run pushes: each budget's Lambda timeout and queue settings, the seeded fault
 * mix and the token bucket, and the emulator that applies them.
 */
import { startEmulator, type Emulator, type FaultRule, type RateLimitOptions } from '../../src/emulator/index.ts';
import { devSecretKey } from '../stack/dev-config.ts';

export type Budget = 'tiny' | 'normal';

export interface BudgetSettings {
  /** The Lambda timeout every invocation counts down from. */
  functionTimeoutMs: number;
  /** PERKAMO_DEADLINE_RESERVE_MS: budget = timeout − reserve. */
  reserveMs: number;
  /** SQS visibility timeout, seconds (above the function timeout). */
  visibilityTimeoutSeconds: number;
  /** SQS receives before the DLQ. */
  maxReceiveCount: number;
}

/**
 * Tiny: a 700 ms Lambda with a 200 ms reserve — a 500 ms budget that latency faults, 429s with
 * `Retry-After: 1` and hangs all overrun, so deadline failures happen on purpose. Normal: the
 * 10 s of the local stack with the default 500 ms reserve.
 */
export const budgets: Record<Budget, BudgetSettings> = {
  tiny: { functionTimeoutMs: 700, reserveMs: 200, visibilityTimeoutSeconds: 2, maxReceiveCount: 10 },
  normal: { functionTimeoutMs: 10_000, reserveMs: 500, visibilityTimeoutSeconds: 12, maxReceiveCount: 6 },
};

/**
 * The seeded fault mix, per Perkamo request (every /v1/ route): latency within and beyond the
 * budget, 5xx before and after applying, 429 with Retry-After, connection resets and hangs.
 */
export function faultProfile(budget: Budget): FaultRule[] {
  const tiny = budget === 'tiny';
  return [
    { kind: 'latency', rate: 0.05, latencyMs: tiny ? 120 : 250 },
    // Beyond the budget: the client gives up, the emulator still applies afterwards.
    { kind: 'latency', rate: tiny ? 0.015 : 0.002, latencyMs: tiny ? 900 : 11_000 },
    { kind: 'error_before', rate: 0.03, status: 503 },
    { kind: 'error_before', rate: 0.01, status: 500 },
    { kind: 'error_after', rate: 0.03, status: 502 },
    { kind: 'error_after', rate: 0.01, status: 504 },
    { kind: 'rate_limit', rate: 0.02, retryAfterSeconds: 1 },
    { kind: 'reset', rate: 0.02 },
    { kind: 'hang', rate: tiny ? 0.004 : 0.002 },
  ];
}

/** A token bucket that bites when the run pushes hard (checked after the faults). */
export const rateLimitProfile: RateLimitOptions = { capacity: 30, refillPerSecond: 100 };

/**
 * An emulator with the budget's seeded faults and the token bucket, counting its answers by status
 * (from its per-request log line) so that the token bucket's own 429s can be told apart.
 */
export async function startChaosEmulator(seed: number, budget: Budget): Promise<{ emulator: Emulator; statuses: Record<string, number> }> {
  const statuses: Record<string, number> = {};
  const emulator = await startEmulator({
    seed,
    faults: faultProfile(budget),
    rateLimit: rateLimitProfile,
    keys: { server: [devSecretKey] },
    quiet: false,
    log: (line) => {
      const status = /^\S+ \/v1\/\S* (\d{3}) /.exec(line)?.[1];
      if (status) statuses[status] = (statuses[status] ?? 0) + 1;
    },
  });
  return { emulator, statuses };
}
