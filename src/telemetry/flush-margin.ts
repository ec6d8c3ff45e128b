/**
 * The time kept free after the last span export, before Lambda's timeout: a fifth of the
 * invocation's reserve (PERKAMO_DEADLINE_RESERVE_MS, default 500 ms), at least 20 ms. One rule for
 * both places that export: the functions' final flush in the invocation (src/lambda/budget.ts) and
 * the layer's export after the response, which must leave its extension time to be back on
 * `event/next` before the deadline (layers/otel/after-response.ts).
 */
export const defaultReserveMs = 500;

export function flushMarginMs(reserveMs: number = defaultReserveMs): number {
  return Math.max(20, Math.floor(reserveMs / 5));
}

/** The reserve as the layer reads it from the function's environment: a bad value falls back to the default (the function's own config refuses it, naming it). */
export function reserveMsOf(env: Record<string, string | undefined>): number {
  const raw = env.PERKAMO_DEADLINE_RESERVE_MS?.trim();
  const value = raw ? Number(raw) : NaN;
  return Number.isInteger(value) && value >= 0 ? value : defaultReserveMs;
}
