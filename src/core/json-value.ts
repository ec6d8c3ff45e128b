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
 * Checks that `value` is a JSON object whose values are JSON-safe all the way down, and returns a
 * copy holding only JSON (undefined properties dropped when `undefinedProperty` is `drop`). The
 * copy is built on null-prototype-free plain objects, so it is safe to merge or serialize.
 */
export function toJsonObject(value: unknown, path: string, options: JsonWalkOptions): JsonObject {
  if (!isPlainObject(value)) {
    throw new PerkamoValidationError(path, 'not_object', `'${path}' must be a plain JSON object, got ${describeType(value)}`);
  }
  return walkObject(value, path, 1, options);
}

function walkObject(value: Record<string, unknown>, path: string, depth: number, options: JsonWalkOptions): JsonObject {
  if (depth > limits.maxDepth) {
    throw new PerkamoValidationError(
      path,
      'too_deep',
      `'${path}' is nested more than ${limits.maxDepth} levels deep; flatten it`,
    );
  }
  const out: JsonObject = {};
  for (const key of Object.keys(value)) {
    const keyPath = childPath(path, key);
    if (key.trim() === '') {
      throw new PerkamoValidationError(keyPath, 'empty_key', `'${keyPath}' is an empty key; keys must be non-empty strings`);
    }
    if (prototypeKeys.includes(key)) {
      throw new PerkamoValidationError(keyPath, 'forbidden_key', `'${keyPath}' uses the forbidden key '${key}'`);
    }
    const item = value[key];
    if (item === undefined) {
      if (options.undefinedProperty === 'drop') continue;
      throw new PerkamoValidationError(
        keyPath,
        'undefined',
        `'${keyPath}' is undefined; remove the property or send null`,
      );
    }
    out[key] = walkValue(item, keyPath, depth, options);
  }
  return out;
}

function walkValue(value: unknown, path: string, depth: number, options: JsonWalkOptions): JsonValue {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (!Number.isFinite(value)) {
        throw new PerkamoValidationError(path, 'not_finite', `'${path}' is ${value}; JSON numbers must be finite`);
      }
      return value;
    case 'object':
      if (value === null) return null;
      if (Array.isArray(value)) return walkArray(value, path, depth + 1, options);
      if (isPlainObject(value)) return walkObject(value, path, depth + 1, options);
      break;
  }
  throw new PerkamoValidationError(
    path,
    'not_json',
    `'${path}' is ${describeType(value)}; only strings, finite numbers, booleans, null, arrays and plain objects are allowed`,
  );
}

function walkArray(value: unknown[], path: string, depth: number, options: JsonWalkOptions): JsonValue[] {
  if (depth > limits.maxDepth) {
    throw new PerkamoValidationError(path, 'too_deep', `'${path}' is nested more than ${limits.maxDepth} levels deep; flatten it`);
  }
  const out: JsonValue[] = new Array(value.length);
  for (let i = 0; i < value.length; i++) {
    const item = value[i];
    const itemPath = childPath(path, i);
    if (item === undefined) {
      throw new PerkamoValidationError(itemPath, 'undefined', `'${itemPath}' is undefined; remove undefined values from arrays`);
    }
    out[i] = walkValue(item, itemPath, depth, options);
  }
  return out;
}
