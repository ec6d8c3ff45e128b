/**
 * What index.ts and each variant's run agree on: the variants, the options a run takes and the
 * summary row it hands back.
 */
import type { Budget } from './budgets.ts';
import type { LedgerVerdict } from './ledger.ts';

export type Variant = 'sqs' | 'eventbridge' | 'http' | 'fifo';

/** Every variant, in the order a full run takes them. */
export const variantNames: readonly Variant[] = ['sqs', 'eventbridge', 'http', 'fifo'];

export interface VariantOptions {
  budget: Budget;
  seed: number;
  /** Valid events to send. */
  events: number;
  /** Poison payloads mixed in (default 8). */
  poison?: number;
  /** Concurrent pollers / invokers / clients (default 8). */
  concurrency?: number;
  /** Hard cap on this variant's wall time, ms. */
  maxWallMs: number;
  /** SQS only: override the budget's visibility timeout (seconds) and maxReceiveCount. */
  visibilityTimeoutSeconds?: number;
  maxReceiveCount?: number;
  /** Progress lines. */
  log?: (line: string) => void;
  /** The project root holding dist/functions (default: found from this module). */
  root?: string;
}

/** A variant's run: the ledger's verdict (ledger.ts), and what the run itself counted. */
export interface VariantSummary extends LedgerVerdict {
  variant: Variant;
  budget: Budget;
  seed: number;
  /** Units sent: valid events plus poison payloads. */
  sent: number;
  poison: number;
  /** Redeliveries (SQS), async retries (EventBridge), client retries (HTTP). */
  retried: number;
  dlqPoison: number;
  invocations: number;
  /** Invocations still running at the Lambda timeout (the poller / invoker gave up on them). */
  killedByTimeout: number;
  p50Ms: number;
  p99Ms: number;
  wallMs: number;
  /** Injected faults the emulator fired, by kind (the token bucket's 429s are not among them: see `statuses`). */
  faults: Record<string, number>;
  /** The emulator's answers to /v1/ requests by status (429 = injected + token bucket). */
  statuses: Record<string, number>;
  /** Perkamo requests the emulator received. */
  requests: number;
  /** Why valid events ended in the DLQ (most frequent first). */
  dlqReasons: { reason: string; count: number }[];
  poisonReasons: { reason: string; count: number }[];
  settings: Record<string, number>;
  /** Anything besides loss and doubles that makes the run fail (not drained, poison not in the DLQ…). */
  problems: string[];
  ok?: boolean;
}
