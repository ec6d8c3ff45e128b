import { childPath } from './json-value.ts';

/**
 * Deterministic JSON, for comparing payloads and for logs (not for signing: Perkamo signs the
 * exact bytes sent). Rules:
 * - object keys sorted by Unicode code point (the order of their UTF-8 bytes), no whitespace;
 * - properties whose value is undefined, a function or a symbol are omitted, as JSON.stringify does;
 *   in arrays those become null, also as JSON.stringify does;
 * - `toJSON()` is honoured (a Date becomes its ISO string);
 * - strings and numbers are written as JSON.stringify writes them (-0 becomes 0);
 * - NaN, ±Infinity, BigInt and cycles throw a TypeError naming the path.
 */
export function canonicalJson(value: unknown): string {
  const out = write(value, '', '$', []);
  if (out === undefined) throw new TypeError(`canonicalJson: $ is ${typeof value}, which has no JSON form`);
  return out;
}

function write(value: unknown, key: string, path: string, stack: object[]): string | undefined {
  if (value !== null && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    value = (value as { toJSON: (key: string) => unknown }).toJSON(key);
  }
  // Boxed primitives are written as their primitive value, as JSON.stringify does.
  if (value instanceof Number) value = Number(value);
  else if (value instanceof String) value = String(value);
  else if (value instanceof Boolean) value = value.valueOf();
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`canonicalJson: ${path} is ${value}; JSON numbers must be finite`);
      return JSON.stringify(value);
    case 'bigint':
      throw new TypeError(`canonicalJson: ${path} is a BigInt; convert it to a string or number first`);
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
  }
  if (value === null) return 'null';
  const obj = value as object;
  if (stack.includes(obj)) throw new TypeError(`canonicalJson: ${path} is a circular reference`);
  stack.push(obj);
  let out: string;
  if (Array.isArray(obj)) {
    // Array.from, not map: map skips the holes of a sparse array, which would leave `[1,,3]`.
    out = `[${Array.from(obj, (item, i) => write(item, String(i), childPath(path, i), stack) ?? 'null').join(',')}]`;
  } else {
    const parts: string[] = [];
    for (const key of Object.keys(obj).sort(byCodePoint)) {
      const item = write((obj as Record<string, unknown>)[key], key, childPath(path, key), stack);
      if (item !== undefined) parts.push(`${JSON.stringify(key)}:${item}`);
    }
    out = `{${parts.join(',')}}`;
  }
  stack.pop();
  return out;
}

/**
 * Compares by code point. UTF-16 order differs only where a surrogate (a code point above U+FFFF)
 * meets U+E000..U+FFFF; shifting both ranges restores code point order.
 */
export function byCodePoint(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return shift(x) - shift(y);
  }
  return a.length - b.length;
}

function shift(unit: number): number {
  if (unit >= 0xe000) return unit - 0x800;
  if (unit >= 0xd800) return unit + 0x2000;
  return unit;
}
