// Small statistics and formatting helpers for the benchmark report.

export function median(values) {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

export function summary(values) {
  const v = values.filter((x) => Number.isFinite(x));
  return { median: median(v), min: Math.min(...v), max: Math.max(...v), n: v.length, samples: v };
}

/** Element-wise a[i] - b[i] (paired samples of one round). */
export const diff = (a, b) => a.map((x, i) => x - b[i]);
/** Element-wise a[i] / b[i]. */
export const ratio = (a, b) => a.map((x, i) => x / b[i]);

/** A number with thousands separators and `digits` decimals. */
export function num(x, digits = 0) {
  if (!Number.isFinite(x)) return '–';
  return x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** Decimals that keep about 2–3 significant figures. */
function autoDigits(x) {
  const a = Math.abs(x);
  return a >= 100 ? 0 : a >= 1 ? 1 : 2;
}

/** "median (min – max)" with a unit and an optional sign; `spread: false` leaves out the brackets. */
export function fmt(s, unit = '', { sign = false, digits, spread = true } = {}) {
  if (!s || !Number.isFinite(s.median)) return '–';
  const d = digits ?? autoDigits(s.median);
  const one = (x) => `${sign && x >= 0 ? '+' : ''}${num(x, d)}`;
  const range = spread && s.n > 1 ? ` (${one(s.min)} – ${one(s.max)})` : '';
  return `${one(s.median)}${unit}${range}`;
}

export function fmtRatio(s) {
  if (!s || !Number.isFinite(s.median)) return '–';
  const d = s.median >= 10 ? 1 : 2;
  const spread = s.n > 1 ? ` (${num(s.min, d)}–${num(s.max, d)})` : '';
  return `${num(s.median, d)}×${spread}`;
}

/** Rotates `list` by `k`: interleaves variants so that no variant always runs first. */
export const rotate = (list, k) => list.map((_, i) => list[(i + k) % list.length]);
