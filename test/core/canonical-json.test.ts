import { describe, expect, it } from 'vitest';
import { byCodePoint, canonicalJson } from '../../src/core/index.ts';
import { thrownBy } from './expect-error.ts';

function typeErrorOf(fn: () => unknown): TypeError {
  const error = thrownBy(fn);
  expect(error).toBeInstanceOf(TypeError);
  return error as TypeError;
}

describe('canonicalJson — key order', () => {
  it('sorts object keys', () => {
    expect(canonicalJson({ b: 1, a: 2, c: 3 })).toBe('{"a":2,"b":1,"c":3}');
  });

  it('sorts by code point: upper case before lower case, shorter prefix first', () => {
    expect(canonicalJson({ b: 1, a: 1, B: 1, ab: 1, '': 1, é: 1 })).toBe('{"":1,"B":1,"a":1,"ab":1,"b":1,"é":1}');
  });

  it('sorts integer-like keys as strings, unlike JS property order', () => {
    const value = { a: 3, 10: 1, 2: 2 };
    expect(JSON.stringify(value)).toBe('{"2":2,"10":1,"a":3}');
    expect(canonicalJson(value)).toBe('{"10":1,"2":2,"a":3}');
  });

  it.each([
    ['U+E000', '\uE000'],
    ['U+FFFF', '\uFFFF'],
    ['U+FF21 (Ａ)', '\uFF21'],
  ])('puts %s before an astral key (U+1F600), where UTF-16 order puts it after', (_label, bmpKey) => {
    const astralKey = '\u{1F600}';
    // The two orders really differ for these keys: plain sort() compares UTF-16 units.
    expect([bmpKey, astralKey].sort()).toEqual([astralKey, bmpKey]);
    const expected = `{${JSON.stringify(bmpKey)}:1,${JSON.stringify(astralKey)}:2}`;
    expect(canonicalJson({ [astralKey]: 2, [bmpKey]: 1 })).toBe(expected);
    expect(canonicalJson({ [bmpKey]: 1, [astralKey]: 2 })).toBe(expected);
  });

  it('keeps BMP keys below the surrogate range before astral keys as UTF-16 does', () => {
    expect(canonicalJson({ '\u{10000}': 1, '\uD7FF': 2 })).toBe('{"\uD7FF":2,"\u{10000}":1}');
  });

  it('orders keys as their UTF-8 bytes order', () => {
    const keys = ['a', 'B', 'é', '\uD7FF', '\uE000', '\uFFFF', '\u{10000}', '\u{1F600}', '\u{10FFFF}', 'ab', 'a\u{1F600}', 'a\uFFFF', '', 'Z', '~', '\u0080', '10', '2'];
    const byBytes = [...keys].sort((x, y) => Buffer.compare(Buffer.from(x, 'utf8'), Buffer.from(y, 'utf8')));
    expect([...keys].sort(byCodePoint)).toEqual(byBytes);
    const object = Object.fromEntries([...keys].reverse().map((key, i) => [key, i]));
    expect(Object.keys(JSON.parse(canonicalJson(object)) as object).filter((k) => !/^\d+$/.test(k))).toEqual(
      byBytes.filter((k) => !/^\d+$/.test(k)),
    );
    expect(canonicalJson(object).indexOf('"10"')).toBeLessThan(canonicalJson(object).indexOf('"2"'));
  });

  it('sorts nested objects, including objects inside arrays, and keeps array order', () => {
    const value = { z: { y: 1, x: [{ d: 1, c: 2 }, 3, { b: { f: 1, e: 2 } }] }, a: [3, 1, 2] };
    expect(canonicalJson(value)).toBe('{"a":[3,1,2],"z":{"x":[{"c":2,"d":1},3,{"b":{"e":2,"f":1}}],"y":1}}');
  });

  it('gives the same string for objects built in different key orders', () => {
    const one = { user_id: 'u1', context: { price: 1, items: [{ sku: 'a', qty: 2 }], meta: { b: true, a: null } }, event: 'e' };
    const two = { event: 'e', context: { meta: { a: null, b: true }, items: [{ qty: 2, sku: 'a' }], price: 1 }, user_id: 'u1' };
    expect(JSON.stringify(one)).not.toBe(JSON.stringify(two));
    expect(canonicalJson(one)).toBe(canonicalJson(two));
  });

  it('is independent of insertion order for many shuffles', () => {
    const entries = Array.from({ length: 30 }, (_, i) => [`k${(i * 7919) % 101}\u{1F600}${i % 3 ? '\uFFFF' : ''}`, i] as const);
    const expected = canonicalJson(Object.fromEntries(entries));
    let seed = 42;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let round = 0; round < 50; round++) {
      const shuffled = [...entries].sort(() => random() - 0.5);
      expect(canonicalJson(Object.fromEntries(shuffled))).toBe(expected);
    }
  });
});

describe('byCodePoint', () => {
  it.each([
    ['a', 'b', -1],
    ['b', 'a', 1],
    ['a', 'a', 0],
    ['a', 'ab', -1],
    ['\uFFFF', '\u{1F600}', -1],
    ['\u{1F600}', '\uE000', 1],
    ['\u{1F600}', '\u{1F601}', -1],
    ['\uD7FF', '\u{10000}', -1],
  ])('compares %j and %j as %i', (a, b, sign) => {
    expect(Math.sign(byCodePoint(a, b))).toBe(sign);
  });
});

describe('canonicalJson — formatting', () => {
  it('writes no whitespace', () => {
    expect(canonicalJson({ a: [1, { b: 'x y' }], c: null, d: true })).toBe('{"a":[1,{"b":"x y"}],"c":null,"d":true}');
  });

  it('writes primitives as JSON.stringify does', () => {
    for (const value of ['', 'he said "hi"\n', 'tab\tback\\slash', '\u2028\u2029', 'é😀', '\ud800 lone', 0, 1.5, -3, 1e21, 1e-7, 0.1 + 0.2, Number.MAX_SAFE_INTEGER, true, false, null]) {
      expect(canonicalJson(value)).toBe(JSON.stringify(value));
    }
  });

  it('writes -0 as 0', () => {
    expect(canonicalJson(-0)).toBe('0');
    expect(canonicalJson({ a: -0, b: [-0] })).toBe('{"a":0,"b":[0]}');
  });

  it('escapes keys as JSON strings', () => {
    expect(canonicalJson({ 'a"b': 1, 'line\nbreak': 2 })).toBe('{"a\\"b":1,"line\\nbreak":2}');
  });

  it('writes empty containers', () => {
    expect(canonicalJson({})).toBe('{}');
    expect(canonicalJson([])).toBe('[]');
    expect(canonicalJson({ a: {}, b: [] })).toBe('{"a":{},"b":[]}');
  });
});

describe('canonicalJson — values JSON leaves out', () => {
  it('omits undefined, function and symbol properties', () => {
    expect(canonicalJson({ a: 1, b: undefined, c: () => 1, d: Symbol('x'), e: { f: undefined } })).toBe('{"a":1,"e":{}}');
  });

  it('writes undefined, functions and symbols in arrays as null', () => {
    expect(canonicalJson([undefined, () => 1, Symbol('x'), 1])).toBe('[null,null,null,1]');
    expect(canonicalJson([1, , 3])).toBe('[1,null,3]');
  });

  it('ignores symbol keys', () => {
    expect(canonicalJson({ [Symbol('s')]: 1, a: 2 })).toBe('{"a":2}');
  });

  it('throws for a top-level value that has no JSON form', () => {
    expect(typeErrorOf(() => canonicalJson(undefined)).message).toContain('$');
    expect(typeErrorOf(() => canonicalJson(() => 1)).message).toContain('$');
  });
});

describe('canonicalJson — toJSON', () => {
  it('writes a Date as its ISO string', () => {
    const at = new Date(Date.UTC(2026, 5, 1, 10, 0, 0));
    expect(canonicalJson(at)).toBe('"2026-06-01T10:00:00.000Z"');
    expect(canonicalJson({ at, list: [at] })).toBe('{"at":"2026-06-01T10:00:00.000Z","list":["2026-06-01T10:00:00.000Z"]}');
  });

  it('writes an invalid Date as null, as JSON.stringify does', () => {
    expect(canonicalJson({ at: new Date(Number.NaN) })).toBe(JSON.stringify({ at: new Date(Number.NaN) }));
  });

  it('sorts the object a toJSON returns', () => {
    const money = { toJSON: () => ({ currency: 'EUR', amount: 5 }) };
    expect(canonicalJson({ price: money })).toBe('{"price":{"amount":5,"currency":"EUR"}}');
  });

  it('passes toJSON the property name or array index, as JSON.stringify does', () => {
    const named = { toJSON: (key: string) => `key:${key}` };
    const value = { k: named, list: [named] };
    expect(JSON.stringify(value)).toBe('{"k":"key:k","list":["key:0"]}');
    expect(canonicalJson(value)).toBe(JSON.stringify(value));
    expect(canonicalJson(named)).toBe('"key:"');
  });

  it('omits a property whose toJSON returns undefined', () => {
    expect(canonicalJson({ a: { toJSON: () => undefined }, b: 1 })).toBe('{"b":1}');
  });
});

describe('canonicalJson — errors', () => {
  it.each([
    ['NaN at the top', Number.NaN, '$'],
    ['NaN in a property', { a: { b: Number.NaN } }, '$.a.b'],
    ['Infinity in an array', { a: [1, Number.POSITIVE_INFINITY] }, '$.a[1]'],
    ['-Infinity under an odd key', { 'odd key': Number.NEGATIVE_INFINITY }, '$["odd key"]'],
    ['a BigInt', { order: { total: 10n } }, '$.order.total'],
    ['a BigInt in an array', [1n], '$[0]'],
  ])('throws a TypeError for %s naming %s', (_label, value, path) => {
    expect(typeErrorOf(() => canonicalJson(value)).message).toContain(`${path} is`);
  });

  it('throws a TypeError for a cyclic object, naming where the cycle closes', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = { back: cyclic };
    const error = typeErrorOf(() => canonicalJson(cyclic));
    expect(error.message).toContain('$.self.back');
    expect(error.message).toContain('circular');
  });

  it('throws a TypeError for a cyclic array', () => {
    const list: unknown[] = [1];
    list.push(list);
    expect(typeErrorOf(() => canonicalJson({ list })).message).toContain('$.list[1]');
  });

  it('accepts the same object referenced twice (shared, not cyclic)', () => {
    const shared = { b: 1, a: 2 };
    expect(canonicalJson({ x: shared, y: [shared, shared] })).toBe('{"x":{"a":2,"b":1},"y":[{"a":2,"b":1},{"a":2,"b":1}]}');
  });
});

describe('canonicalJson — same meaning as JSON.stringify', () => {
  class Point {
    constructor(
      readonly x: number,
      readonly y: number,
    ) {}
  }
  const samples: Array<[string, unknown]> = [
    ['an event', { user_id: 'u1', event: 'purchase.completed', transaction_id: 'tx_1', context: { items: [{ sku: 'a', price: 9.99 }], vip: true, note: null } }],
    ['nested arrays', [[1, [2, [3, []]]], {}, '']],
    ['odd strings', { 'quote"': 'back\\slash', ctrl: '\u0001\u001f', uni: 'é😀\uFFFF', lone: '\udc00' }],
    ['numbers', { big: 1e21, small: 5e-324, neg: -0, frac: 0.1 + 0.2 }],
    ['a Date and a class instance', { at: new Date(0), point: new Point(1, 2) }],
    ['a Map and a Set (no enumerable properties)', { map: new Map([['a', 1]]), set: new Set([1]) }],
    ['undefined and functions', { u: undefined, f: () => 1, list: [undefined, () => 1] }],
    ['boxed primitives', { s: Object('text') as unknown, n: Object(42) as unknown, b: Object(false) as unknown, list: [Object('x') as unknown] }],
    ['a sparse array', { list: [1, , 3], holes: new Array(2) }],
    ['a null-prototype object', Object.assign(Object.create(null) as object, { b: 1, a: 2 })],
  ];

  it.each(samples)('parses back to the same value as JSON.stringify for %s', (_label, value) => {
    const canonical = canonicalJson(value);
    expect(JSON.parse(canonical)).toEqual(JSON.parse(JSON.stringify(value)));
  });

  it.each(samples)('is its own canonical form after a round trip (%s)', (_label, value) => {
    const canonical = canonicalJson(value);
    expect(canonicalJson(JSON.parse(canonical))).toBe(canonical);
  });
});
