import { PerkamoValidationError } from './errors.ts';
import { limits, prototypeKeys } from './limits.ts';

export type JsonPrimitive = string | number | boolean | null;
export type JsonValue = JsonPrimitive | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export interface JsonWalkOptions {
  /** What an `undefined` object property means: an error (event context) or "omit it" (traits). */
  undefinedProperty: 'error' | 'drop';
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

export function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return value.constructor?.name ? `a ${value.constructor.name}` : 'an object';
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return `a ${typeof value}`;
}

export function childPath(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

/**
 * Checks that `value` is a JSON object whose values are JSON-safe all the way down. With
 * `undefinedProperty: 'drop'` it returns a copy without the undefined properties; with `'error'`
 * nothing is dropped, so the value itself is returned (no copy: this runs once per event).
 */
export function toJsonObject(value: unknown, path: string, options: JsonWalkOptions): JsonObject {
  return walkJsonObject(value, path, options).value;
}

/**
 * As toJsonObject, plus an upper bound of the value's JSON length in UTF-8 bytes (every UTF-16
 * unit counted as a 6-byte `\uXXXX` escape), so that a size limit needs no JSON.stringify when
 * the bound is already within it.
 */
export function walkJsonObject(value: unknown, path: string, options: JsonWalkOptions): { value: JsonObject; maxBytes: number } {
  const state: WalkState = { drop: options.undefinedProperty === 'drop', maxBytes: 0 };
  return { value: walkObject(plainObjectAt(value, path), path, 1, state), maxBytes: state.maxBytes };
}

/**
 * The checks of walkJsonObject with `undefinedProperty: 'error'` (nothing dropped, so nothing to
 * return but the bound): an event's context, once per event.
 */
export function jsonObjectMaxBytes(value: unknown, path: string): number {
  const state: WalkState = { drop: false, maxBytes: 0 };
  walkObject(plainObjectAt(value, path), path, 1, state);
  return state.maxBytes;
}

function plainObjectAt(value: unknown, path: string): Record<string, unknown> {
  if (!isPlainObject(value)) {
    throw new PerkamoValidationError(path, 'not_object', `'${path}' must be a plain JSON object, got ${describeType(value)}`);
  }
  return value;
}

interface WalkState {
  drop: boolean;
  maxBytes: number;
}

// Paths are built only for an error or a nested container: most values are scalars and valid.
function walkObject(value: Record<string, unknown>, path: string, depth: number, state: WalkState): JsonObject {
  if (depth > limits.maxDepth) {
    throw new PerkamoValidationError(path, 'too_deep', `'${path}' is nested more than ${limits.maxDepth} levels deep; flatten it`);
  }
  const out: JsonObject | undefined = state.drop ? {} : undefined;
  state.maxBytes += 2;
  // for…in with an own-key test reads the keys Object.keys would, in its order, without an array per object.
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    if (key.trim() === '') {
      const keyPath = childPath(path, key);
      throw new PerkamoValidationError(keyPath, 'empty_key', `'${keyPath}' is an empty key; keys must be non-empty strings`);
    }
    if (prototypeKeys.includes(key)) {
      const keyPath = childPath(path, key);
      throw new PerkamoValidationError(keyPath, 'forbidden_key', `'${keyPath}' uses the forbidden key '${key}'`);
    }
    const item = value[key];
    if (item === undefined) {
      if (state.drop) continue;
      const keyPath = childPath(path, key);
      throw new PerkamoValidationError(keyPath, 'undefined', `'${keyPath}' is undefined; remove the property or send null`);
    }
    state.maxBytes += 6 * key.length + 4;
    const checked = walkValue(item, path, key, depth, state);
    if (out) out[key] = checked;
  }
  return out ?? (value as JsonObject);
}

function walkValue(value: unknown, parent: string, key: string | number, depth: number, state: WalkState): JsonValue {
  switch (typeof value) {
    case 'string':
      state.maxBytes += 6 * value.length + 2;
      return value;
    case 'boolean':
      state.maxBytes += 5;
      return value;
    case 'number':
      if (!Number.isFinite(value)) {
        const path = childPath(parent, key);
        throw new PerkamoValidationError(path, 'not_finite', `'${path}' is ${value}; JSON numbers must be finite`);
      }
      state.maxBytes += 24;
      return value;
    case 'object':
      if (value === null) {
        state.maxBytes += 4;
        return null;
      }
      if (Array.isArray(value)) return walkArray(value, childPath(parent, key), depth + 1, state);
      if (isPlainObject(value)) return walkObject(value, childPath(parent, key), depth + 1, state);
      break;
  }
  const path = childPath(parent, key);
  throw new PerkamoValidationError(
    path,
    'not_json',
    `'${path}' is ${describeType(value)}; only strings, finite numbers, booleans, null, arrays and plain objects are allowed`,
  );
}

function walkArray(value: unknown[], path: string, depth: number, state: WalkState): JsonValue[] {
  if (depth > limits.maxDepth) {
    throw new PerkamoValidationError(path, 'too_deep', `'${path}' is nested more than ${limits.maxDepth} levels deep; flatten it`);
  }
  const out: JsonValue[] | undefined = state.drop ? new Array(value.length) : undefined;
  state.maxBytes += 2;
  for (let i = 0; i < value.length; i++) {
    const item = value[i];
    if (item === undefined) {
      const itemPath = childPath(path, i);
      throw new PerkamoValidationError(itemPath, 'undefined', `'${itemPath}' is undefined; remove undefined values from arrays`);
    }
    state.maxBytes += 1;
    const checked = walkValue(item, path, i, depth, state);
    if (out) out[i] = checked;
  }
  return out ?? (value as JsonValue[]);
}
