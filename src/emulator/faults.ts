/**
 * Seeded fault injection. Each request runs down the rule list once, in order; a rule whose
 * routes match and whose `times` is not used up draws one number from the PRNG and fires when it
 * is below `rate`. Every firing `latency` rule adds its delay and the walk continues; the first
 * other rule that fires decides the request's fault and ends the walk.
 */

export type FaultKind = 'error_before' | 'error_after' | 'rate_limit' | 'reset' | 'latency' | 'hang';

export interface FaultRule {
  kind: FaultKind;
  /** Probability in 0..1 that a matching request is hit; default 1. */
  rate?: number;
  /** HTTP status for error_before (default 503) and error_after (default 502). */
  status?: number;
  /** `retry-after` seconds for rate_limit (default 1). */
  retryAfterSeconds?: number;
  /** Delay for latency (default 100 ms). */
  latencyMs?: number;
  /** Paths the rule applies to: exact (`/v1/events`) or a prefix ending in `*` (`/v1/customer/*`). Default: every `/v1/` route. */
  routes?: string[];
  /** Fire at most this many times (default: unlimited). */
  times?: number;
}

export const faultKinds: readonly FaultKind[] = ['error_before', 'error_after', 'rate_limit', 'reset', 'latency', 'hang'];

/** mulberry32: a tiny, fast, seedable PRNG; good enough to make fault runs reproducible. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Checks a fault list (from options, the env var or the control route); throws a TypeError naming the field. */
export function parseFaults(input: unknown): FaultRule[] {
  if (input === null || input === undefined) return [];
  if (!Array.isArray(input)) throw new TypeError('faults must be a list of rules');
  return input.map((rule: unknown, i) => {
    const at = `faults[${i}]`;
    if (typeof rule !== 'object' || rule === null || Array.isArray(rule)) throw new TypeError(`${at} must be an object`);
    const r = rule as Record<string, unknown>;
    if (!faultKinds.includes(r.kind as FaultKind)) throw new TypeError(`${at}.kind must be one of ${faultKinds.join(', ')}`);
    const known = ['kind', 'rate', 'status', 'retryAfterSeconds', 'latencyMs', 'routes', 'times'];
    for (const key of Object.keys(r)) if (!known.includes(key)) throw new TypeError(`${at}.${key} is not a fault field (${known.join(', ')})`);
    const num = (key: string, ok: (n: number) => boolean, what: string): void => {
      if (r[key] !== undefined && (typeof r[key] !== 'number' || !ok(r[key]))) throw new TypeError(`${at}.${key} must be ${what}`);
    };
    num('rate', (n) => n >= 0 && n <= 1, 'a number in 0..1');
    num('status', (n) => Number.isInteger(n) && n >= 400 && n <= 599, 'an HTTP status 400–599');
    num('retryAfterSeconds', (n) => Number.isInteger(n) && n >= 0, 'a whole number of seconds ≥ 0');
    num('latencyMs', (n) => Number.isFinite(n) && n >= 0, 'a number of milliseconds ≥ 0');
    num('times', (n) => Number.isInteger(n) && n >= 0, 'an integer ≥ 0');
    if (r.routes !== undefined && (!Array.isArray(r.routes) || !r.routes.every((x) => typeof x === 'string' && x.startsWith('/')))) {
      throw new TypeError(`${at}.routes must be a list of paths starting with /`);
    }
    return { ...(r as unknown as FaultRule) };
  });
}

export interface FaultDecision {
  latencyMs: number;
  fault: FaultRule | null;
}

function matches(rule: FaultRule, path: string): boolean {
  if (!rule.routes) return path.startsWith('/v1/');
  return rule.routes.some((route) => (route.endsWith('*') ? path.startsWith(route.slice(0, -1)) : path === route));
}

export class FaultInjector {
  private rules: FaultRule[] = [];
  private fired: number[] = [];
  private random: () => number;
  readonly counts = new Map<FaultKind, number>();

  constructor(
    rules: FaultRule[],
    private readonly seed: number,
  ) {
    this.random = mulberry32(seed);
    this.set(rules);
  }

  /** Replaces the rules, resets their `times` counters and restarts the PRNG from the seed. */
  set(rules: FaultRule[]): void {
    this.rules = parseFaults(rules);
    this.fired = this.rules.map(() => 0);
    this.random = mulberry32(this.seed);
  }

  list(): FaultRule[] {
    return this.rules.map((r) => ({ ...r }));
  }

  get active(): boolean {
    return this.rules.length > 0;
  }

  decide(path: string): FaultDecision {
    const decision: FaultDecision = { latencyMs: 0, fault: null };
    for (let i = 0; i < this.rules.length; i++) {
      const rule = this.rules[i] as FaultRule;
      const fired = this.fired[i] as number;
      if (rule.times !== undefined && fired >= rule.times) continue;
      if (!matches(rule, path)) continue;
      if (this.random() >= (rule.rate ?? 1)) continue;
      this.fired[i] = fired + 1;
      this.counts.set(rule.kind, (this.counts.get(rule.kind) ?? 0) + 1);
      if (rule.kind === 'latency') {
        decision.latencyMs += rule.latencyMs ?? 100;
        continue;
      }
      decision.fault = rule;
      break;
    }
    return decision;
  }
}
