import { describe, expect, it } from 'vitest';
import {
  assertSafeEventInput,
  limits,
  PerkamoValidationError,
  reservedContextKeys,
  toOccurredAt,
  utf8Length,
  type PerkamoEventInput,
} from '../../src/core/index.ts';
import { expectValidationError, thrownBy } from './expect-error.ts';

const baseEvent: PerkamoEventInput = {
  user_id: 'customer_123',
  event: 'purchase.completed',
  transaction_id: 'order_1001',
  context: { order_id: 'order_1001', product_price: 49.9, items: [{ sku: 'sku-1', price: 49.9 }] },
  occurred_at: '2026-06-01T10:00:00.000Z',
};

/** The valid event with some fields replaced (or removed, when given as undefined via `omit`). */
function eventWith(patch: Record<string, unknown>, omit: string[] = []): Record<string, unknown> {
  const event: Record<string, unknown> = { ...baseEvent, ...patch };
  for (const key of omit) delete event[key];
  return event;
}

function contextEvent(context: unknown): Record<string, unknown> {
  return eventWith({ context });
}

/** An object nested `levels` deep, itself being level 1: `{ n: { n: … { leaf: true } } }`. */
function nestedObject(levels: number): Record<string, unknown> {
  let obj: Record<string, unknown> = { leaf: true };
  for (let i = 1; i < levels; i++) obj = { n: obj };
  return obj;
}

/** `levels` arrays nested in each other: 1 → `[1]`, 2 → `[[1]]`. */
function nestedArray(levels: number): unknown[] {
  let arr: unknown[] = [1];
  for (let i = 1; i < levels; i++) arr = [arr];
  return arr;
}

describe('assertSafeEventInput — a valid event', () => {
  it('accepts the full wire shape', () => {
    expect(() => assertSafeEventInput(baseEvent)).not.toThrow();
  });

  it('accepts an event without the optional context and occurred_at', () => {
    expect(() => assertSafeEventInput(eventWith({}, ['context', 'occurred_at']))).not.toThrow();
  });

  it('accepts an empty context and a null-prototype context', () => {
    expect(() => assertSafeEventInput(contextEvent({}))).not.toThrow();
    const bare = Object.assign(Object.create(null) as Record<string, unknown>, { plan: 'pro' });
    expect(() => assertSafeEventInput(contextEvent(bare))).not.toThrow();
  });

  it('accepts every JSON value type in context and does not change the input', () => {
    const context = {
      s: 'text with "quotes" and é 😀',
      n: -12.5,
      zero: 0,
      t: true,
      f: false,
      nil: null,
      list: [1, 'two', null, { three: [3] }, []],
      obj: { nested: { deeper: {} } },
      'key with spaces': 1,
    };
    const snapshot = structuredClone(context);
    expect(() => assertSafeEventInput(contextEvent(context))).not.toThrow();
    expect(context).toEqual(snapshot);
  });

  it('accepts an event parsed from JSON (the Lambda body case)', () => {
    expect(() => assertSafeEventInput(JSON.parse(JSON.stringify(baseEvent)))).not.toThrow();
  });

  it('narrows an unknown value to PerkamoEventInput', () => {
    const input: unknown = JSON.parse(JSON.stringify(baseEvent));
    assertSafeEventInput(input);
    const userId: string = input.user_id;
    expect(userId).toBe('customer_123');
  });
});

describe('assertSafeEventInput — the event itself', () => {
  it.each([
    ['null', null, 'null'],
    ['an array', [baseEvent], 'an array'],
    ['a string', JSON.stringify(baseEvent), 'a string'],
    ['a number', 42, 'a number'],
    ['undefined', undefined, 'undefined'],
    ['a class instance', new (class EventLike {})(), 'EventLike'],
  ])('refuses %s', (_label, input, typeName) => {
    expectValidationError(() => assertSafeEventInput(input), {
      field: '',
      reason: 'not_object',
      namesField: false,
      message: ['an event must be a JSON object', typeName],
    });
  });
});

describe('assertSafeEventInput — unknown fields', () => {
  it.each([
    ['userId', 'user_id'],
    ['transactionId', 'transaction_id'],
    ['occurredAt', 'occurred_at'],
  ])('refuses %s with a hint to use %s', (camel, snake) => {
    const input = eventWith({ [camel]: 'x' });
    expectValidationError(() => assertSafeEventInput(input), {
      field: camel,
      reason: 'unknown_field',
      message: [`did you mean '${snake}'?`, 'user_id, event, transaction_id, context, occurred_at'],
    });
  });

  it('refuses the camelCase name even when the snake_case field is missing', () => {
    const input = eventWith({ userId: 'customer_123' }, ['user_id']);
    expectValidationError(() => assertSafeEventInput(input), { field: 'userId', reason: 'unknown_field' });
  });

  it.each(['tenant', 'space', 'traits', 'Context', 'userid'])('refuses %s without a did-you-mean hint', (key) => {
    const error = expectValidationError(() => assertSafeEventInput(eventWith({ [key]: 'demo' })), {
      field: key,
      reason: 'unknown_field',
    });
    expect(error.message).not.toContain('did you mean');
  });

  it('refuses an own __proto__ key at the top level', () => {
    const input: unknown = JSON.parse(`{"__proto__":{"admin":true},${JSON.stringify(baseEvent).slice(1)}`);
    expectValidationError(() => assertSafeEventInput(input), { field: '__proto__', reason: 'unknown_field' });
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });
});

const identifierFields = [
  { field: 'user_id', max: limits.userIdBytes },
  { field: 'event', max: limits.eventBytes },
  { field: 'transaction_id', max: limits.transactionIdBytes },
] as const;

describe.each(identifierFields)('assertSafeEventInput — $field (1–$max UTF-8 bytes)', ({ field, max }) => {
  it('has the documented limit', () => {
    expect(max).toBe(field === 'event' ? 128 : 256);
  });

  it.each([
    ['missing', undefined],
    ['null', null],
  ])('is required (%s)', (label, value) => {
    const input = label === 'missing' ? eventWith({}, [field]) : eventWith({ [field]: value });
    expectValidationError(() => assertSafeEventInput(input), { field, reason: 'required', message: ['is required'] });
  });

  it.each([
    ['a number', 123, 'a number'],
    ['a boolean', true, 'a boolean'],
    ['an object', { id: 'x' }, 'Object'],
    ['an array', ['x'], 'an array'],
  ])('must be a string, not %s', (_label, value, typeName) => {
    expectValidationError(() => assertSafeEventInput(eventWith({ [field]: value })), {
      field,
      reason: 'not_string',
      message: ['must be a string', typeName],
    });
  });

  it.each([
    ['empty', ''],
    ['spaces', '   '],
    ['tabs and newlines', '\t\n'],
    ['a no-break space', '\u00a0'],
    ['zero-width spaces', '\u200b\u200b'],
    ['a byte-order mark and a word joiner', '\ufeff\u2060'],
    ['direction marks around a space', '\u200f \u200e'],
  ])('must not be blank (%s)', (_label, value) => {
    expectValidationError(() => assertSafeEventInput(eventWith({ [field]: value })), {
      field,
      reason: 'empty',
      message: ['must not be empty or blank'],
    });
  });

  it.each([
    ['one ASCII character', 'a'],
    [`${max} ASCII characters`, 'a'.repeat(max)],
    [`${max / 2} two-byte characters`, 'é'.repeat(max / 2)],
    ['three-byte characters filling the limit exactly', 'a'.repeat(max % 3) + '€'.repeat(Math.floor(max / 3))],
    [`${max / 4} four-byte characters (astral)`, '😀'.repeat(max / 4)],
    ['a namespaced key with punctuation', 'lesson:intro:user:customer_123'],
  ])('accepts %s', (_label, value) => {
    expect(utf8Length(value)).toBeLessThanOrEqual(max);
    expect(() => assertSafeEventInput(eventWith({ [field]: value }))).not.toThrow();
  });

  it.each([
    [`${max + 1} ASCII characters`, 'a'.repeat(max + 1)],
    [`${max / 2} two-byte characters plus one ASCII`, 'é'.repeat(max / 2) + 'a'],
    [`${max - 1} ASCII characters plus one two-byte character`, 'a'.repeat(max - 1) + 'é'],
    [`${max / 4} astral characters plus one ASCII`, '😀'.repeat(max / 4) + 'a'],
    [`${max / 2 + 1} two-byte characters`, 'é'.repeat(max / 2 + 1)],
    [`${max} two-byte characters (within the limit in characters, twice it in bytes)`, 'é'.repeat(max)],
  ])('refuses %s', (_label, value) => {
    const bytes = utf8Length(value);
    expect(bytes).toBeGreaterThan(max);
    expectValidationError(() => assertSafeEventInput(eventWith({ [field]: value })), {
      field,
      reason: 'too_long',
      message: [`is ${bytes} bytes`, `the limit is ${max} bytes`],
    });
  });

  it.each([
    ['NUL', 'a\u0000b'],
    ['a newline inside', 'order\n1001'],
    ['a tab inside', 'order\t1001'],
    ['DEL', 'order\u007f'],
    ['a C1 control (NEL)', 'order\u0085'],
    ['escape', '\u001b[31morder'],
  ])('refuses control characters (%s)', (_label, value) => {
    expectValidationError(() => assertSafeEventInput(eventWith({ [field]: value })), {
      field,
      reason: 'control_character',
      message: ['control character'],
    });
  });

  it.each([
    ['a lone high surrogate at the end', 'order\ud83d'],
    ['a lone low surrogate at the start', '\ude00order'],
    ['a reversed pair', 'a\ude00\ud83db'],
  ])('refuses %s', (_label, value) => {
    expectValidationError(() => assertSafeEventInput(eventWith({ [field]: value })), {
      field,
      reason: 'malformed_unicode',
      message: ['lone UTF-16 surrogate'],
    });
  });
});

describe('utf8Length', () => {
  it.each([
    ['', 0],
    ['abc', 3],
    ['é', 2],
    ['€', 3],
    ['😀', 4],
    ['a\u0000', 2],
    ['\ud83d', 3],
  ])('%j is %i bytes', (value, bytes) => {
    expect(utf8Length(value)).toBe(bytes);
  });
});

describe('assertSafeEventInput — context must be a plain object', () => {
  it.each([
    ['an array', [{ price: 1 }], 'an array'],
    ['null', null, 'null'],
    ['a Date', new Date('2026-06-01T00:00:00Z'), 'a Date'],
    ['a class instance', new (class Order { total = 1 })(), 'Order'],
    ['a Map', new Map([['price', 1]]), 'a Map'],
    ['a string', '{"price":1}', 'a string'],
    ['a number', 1, 'a number'],
  ])('refuses %s', (_label, context, typeName) => {
    expectValidationError(() => assertSafeEventInput(contextEvent(context)), {
      field: 'context',
      reason: 'not_object',
      message: ['must be a plain JSON object', typeName],
    });
  });
});

describe('assertSafeEventInput — context keys', () => {
  it.each([
    ['an empty key at the top', { '': 1 }, 'context[""]'],
    ['a blank key at the top', { '  ': 1 }, 'context["  "]'],
    ['an empty key nested', { order: { '': 1 } }, 'context.order[""]'],
    ['an empty key in an array item', { items: [{ sku: 'a' }, { '': 1 }] }, 'context.items[1][""]'],
  ])('refuses %s', (_label, context, field) => {
    expectValidationError(() => assertSafeEventInput(contextEvent(context)), {
      field,
      reason: 'empty_key',
      message: ['non-empty'],
    });
  });
});

describe('assertSafeEventInput — context values are JSON-safe all the way down', () => {
  class Money {
    constructor(readonly cents: number) {}
  }
  it.each([
    ['NaN', { price: Number.NaN }, 'context.price', 'not_finite', 'NaN'],
    ['Infinity', { price: Number.POSITIVE_INFINITY }, 'context.price', 'not_finite', 'Infinity'],
    ['-Infinity', { price: Number.NEGATIVE_INFINITY }, 'context.price', 'not_finite', '-Infinity'],
    ['a BigInt', { price: 10n }, 'context.price', 'not_json', 'a bigint'],
    ['a function', { price: () => 1 }, 'context.price', 'not_json', 'a function'],
    ['a symbol', { price: Symbol('p') }, 'context.price', 'not_json', 'a symbol'],
    ['a Date', { at: new Date('2026-06-01T00:00:00Z') }, 'context.at', 'not_json', 'a Date'],
    ['a Map', { tags: new Map() }, 'context.tags', 'not_json', 'a Map'],
    ['a Set', { tags: new Set([1]) }, 'context.tags', 'not_json', 'a Set'],
    ['a class instance', { total: new Money(100) }, 'context.total', 'not_json', 'Money'],
    ['a boxed number', { total: Object(5) as unknown }, 'context.total', 'not_json', 'Number'],
    [
      'NaN in an array item',
      { items: [{ price: 1 }, { price: 2 }, { price: Number.NaN }] },
      'context.items[2].price',
      'not_finite',
      'NaN',
    ],
    ['a BigInt deep inside', { a: { b: [[1, 2n]] } }, 'context.a.b[0][1]', 'not_json', 'a bigint'],
    ['a Date under a non-identifier key', { 'order-info': { 'paid at': new Date() } }, 'context["order-info"]["paid at"]', 'not_json', 'a Date'],
    ['a function directly in an array', { hooks: [() => 1] }, 'context.hooks[0]', 'not_json', 'a function'],
  ])('refuses %s with its path', (_label, context, field, reason, typeText) => {
    expectValidationError(() => assertSafeEventInput(contextEvent(context)), { field, reason, message: [typeText] });
  });
});

describe('assertSafeEventInput — undefined in context', () => {
  it.each([
    ['a top-level property', { coupon: undefined }, 'context.coupon'],
    ['a nested property', { order: { id: 'o1', coupon: undefined } }, 'context.order.coupon'],
    ['a property inside an array item', { items: [{ sku: 'a' }, { sku: undefined }] }, 'context.items[1].sku'],
    ['an array item', { items: [1, undefined, 3] }, 'context.items[1]'],
    ['a hole in a sparse array', { items: [1, , 3] }, 'context.items[1]'],
    ['an item of a nested array', { grid: [[1], [2, undefined]] }, 'context.grid[1][1]'],
  ])('is an error at %s', (_label, context, field) => {
    expectValidationError(() => assertSafeEventInput(contextEvent(context)), {
      field,
      reason: 'undefined',
      message: ['is undefined'],
    });
  });
});

describe('assertSafeEventInput — reserved context keys', () => {
  it('reserves exactly the documented keys', () => {
    expect([...reservedContextKeys].sort()).toEqual(
      ['achievements', 'level', 'perks', 'rewards', 'wallet', 'wallets', 'xp'].sort(),
    );
  });

  it.each([...reservedContextKeys, 'Wallet', 'XP', 'Xp', 'LEVEL', 'Perks', 'Achievements', 'WALLETS', 'reWards'])(
    'refuses top-level %s',
    (key) => {
      expectValidationError(() => assertSafeEventInput(contextEvent({ order_id: 'o1', [key]: 100 })), {
        field: `context.${key}`,
        reason: 'reserved_key',
        message: ['reserved'],
      });
    },
  );

  it.each([
    ['inside an object', { order: { level: 'gold', xp: 5, wallet: 'main' } }],
    ['inside array items', { items: [{ perks: ['a'] }, { rewards: 1, achievements: [] }] }],
    ['as a key that only contains a reserved word', { xp_bonus: 1, level_name: 'gold', wallet_id: 'w1', my_perks: 2 }],
    ['as a string value', { kind: 'xp', note: 'wallet' }],
  ])('allows reserved words %s', (_label, context) => {
    expect(() => assertSafeEventInput(contextEvent(context))).not.toThrow();
  });
});

describe('assertSafeEventInput — prototype keys', () => {
  it.each([
    ['__proto__ at the top', '{"__proto__":{"isAdmin":true}}', 'context.__proto__', '__proto__'],
    ['__proto__ nested', '{"order":{"__proto__":{"isAdmin":true}}}', 'context.order.__proto__', '__proto__'],
    ['__proto__ inside an array', '{"items":[{"sku":"a"},{"__proto__":{}}]}', 'context.items[1].__proto__', '__proto__'],
    ['constructor at the top', '{"constructor":{"prototype":{"isAdmin":true}}}', 'context.constructor', 'constructor'],
    ['constructor nested', '{"a":{"b":{"constructor":1}}}', 'context.a.b.constructor', 'constructor'],
    ['prototype at the top', '{"prototype":{}}', 'context.prototype', 'prototype'],
    ['prototype nested', '{"a":[{"prototype":"x"}]}', 'context.a[0].prototype', 'prototype'],
  ])('refuses %s', (_label, json, field, key) => {
    const context: unknown = JSON.parse(json);
    // JSON.parse makes __proto__ an own key, exactly as a request body would arrive.
    expectValidationError(() => assertSafeEventInput(contextEvent(context)), {
      field,
      reason: 'forbidden_key',
      message: [`'${key}'`],
    });
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
  });

  it('allows keys that merely contain those words', () => {
    expect(() =>
      assertSafeEventInput(contextEvent({ proto: 1, constructor_name: 'x', prototypes: [], __proto: 2 })),
    ).not.toThrow();
  });
});

describe('assertSafeEventInput — nesting depth', () => {
  const deepPath = (levels: number) => `context${'.n'.repeat(levels - 1)}`;

  it(`has a documented limit of ${limits.maxDepth}`, () => {
    expect(limits.maxDepth).toBe(8);
  });

  it('accepts objects nested exactly to the limit (context itself is level 1)', () => {
    expect(() => assertSafeEventInput(contextEvent(nestedObject(limits.maxDepth)))).not.toThrow();
  });

  it('refuses objects nested one level more, naming the too-deep object', () => {
    expectValidationError(() => assertSafeEventInput(contextEvent(nestedObject(limits.maxDepth + 1))), {
      field: deepPath(limits.maxDepth + 1),
      reason: 'too_deep',
      message: [`${limits.maxDepth} levels`],
    });
  });

  it('counts an empty object at the extra level too', () => {
    let obj: Record<string, unknown> = {};
    for (let i = 1; i <= limits.maxDepth; i++) obj = { n: obj };
    expectValidationError(() => assertSafeEventInput(contextEvent(obj)), {
      field: deepPath(limits.maxDepth + 1),
      reason: 'too_deep',
    });
  });

  it('counts arrays as levels: at the limit passes, one more fails', () => {
    expect(() => assertSafeEventInput(contextEvent({ a: nestedArray(limits.maxDepth - 1) }))).not.toThrow();
    expectValidationError(() => assertSafeEventInput(contextEvent({ a: nestedArray(limits.maxDepth) })), {
      field: `context.a${'[0]'.repeat(limits.maxDepth - 1)}`,
      reason: 'too_deep',
      message: [`${limits.maxDepth} levels`],
    });
  });

  it('counts mixed objects and arrays', () => {
    // context(1) > items(2) > [0](3) > tags(4) … built up to the limit.
    const atLimit = { items: [{ tags: [{ x: [{ y: [1] }] }] }] }; // 8 levels
    expect(() => assertSafeEventInput(contextEvent(atLimit))).not.toThrow();
    const tooDeep = { items: [{ tags: [{ x: [{ y: [[1]] }] }] }] }; // 9 levels
    expectValidationError(() => assertSafeEventInput(contextEvent(tooDeep)), {
      field: 'context.items[0].tags[0].x[0].y[0]',
      reason: 'too_deep',
    });
  });

  it('refuses a cyclic object with a validation error, not a stack overflow', () => {
    const cyclic: Record<string, unknown> = { id: 1 };
    cyclic.self = cyclic;
    const error = thrownBy(() => assertSafeEventInput(contextEvent(cyclic)));
    expect(error).toBeInstanceOf(PerkamoValidationError);
    expect((error as PerkamoValidationError).reason).toBe('too_deep');
    expect((error as PerkamoValidationError).field).toMatch(/^context(\.self)+$/);
  });

  it('refuses a cyclic array', () => {
    const list: unknown[] = [1];
    list.push(list);
    const error = thrownBy(() => assertSafeEventInput(contextEvent({ list })));
    expect(error).toBeInstanceOf(PerkamoValidationError);
    expect((error as PerkamoValidationError).reason).toBe('too_deep');
    expect((error as PerkamoValidationError).field).toMatch(/^context\.list(\[1\])+$/);
  });

  it('allows the same object referenced twice (shared, not cyclic)', () => {
    const shared = { sku: 'a' };
    expect(() => assertSafeEventInput(contextEvent({ a: shared, b: shared, list: [shared, shared] }))).not.toThrow();
  });
});

describe('assertSafeEventInput — payload size', () => {
  const noteEvent = (note: string) => eventWith({ context: { note } });
  const overhead = JSON.stringify(noteEvent('')).length;

  it(`has a documented limit of ${32 * 1024} bytes`, () => {
    expect(limits.maxPayloadBytes).toBe(32 * 1024);
  });

  it('accepts an event of exactly the limit', () => {
    const event = noteEvent('x'.repeat(limits.maxPayloadBytes - overhead));
    expect(JSON.stringify(event).length).toBe(limits.maxPayloadBytes);
    expect(() => assertSafeEventInput(event)).not.toThrow();
  });

  it('refuses an event one byte over, naming context and the limit', () => {
    const event = noteEvent('x'.repeat(limits.maxPayloadBytes - overhead + 1));
    expectValidationError(() => assertSafeEventInput(event), {
      field: 'context',
      reason: 'too_large',
      message: [`${limits.maxPayloadBytes + 1} bytes`, `the limit is ${limits.maxPayloadBytes} bytes`],
    });
  });

  it('measures UTF-8 bytes, not UTF-16 units', () => {
    const event = noteEvent('x'.repeat(limits.maxPayloadBytes - overhead - 1) + 'é');
    expect(JSON.stringify(event).length).toBe(limits.maxPayloadBytes);
    expectValidationError(() => assertSafeEventInput(event), {
      field: 'context',
      reason: 'too_large',
      message: [`${limits.maxPayloadBytes + 1} bytes`],
    });
  });
});

describe('assertSafeEventInput — occurred_at', () => {
  it.each([
    '2026-06-01T10:00:00.000Z',
    '2026-06-01T10:00:00Z',
    '2026-06-01T12:00:00+02:00',
    '2026-06-01T12:00:00+0200',
    '2026-06-01T12:00:00.123+02:00',
    '2026-06-01T12:00:00.5+0200',
    '2026-06-01T04:30:00-05:30',
    '2026-05-31T12:00:00+00:00',
    '2026-06-01T10:00:00.123456789Z',
    '2024-02-29T00:00:00Z',
    '2000-02-29T23:59:59Z',
    '2026-12-31T23:59:59.999Z',
    '2026-06-01T10:00Z',
    new Date().toISOString(),
  ])('accepts %s', (occurredAt) => {
    expect(() => assertSafeEventInput(eventWith({ occurred_at: occurredAt }))).not.toThrow();
  });

  it.each([
    ['no zone', '2026-06-01T10:00:00'],
    ['no zone with millis', '2026-06-01T10:00:00.000'],
    ['February 30th', '2026-02-30T10:00:00Z'],
    ['February 29th in a common year', '2026-02-29T10:00:00Z'],
    ['February 29th in 1900', '1900-02-29T10:00:00Z'],
    ['April 31st', '2026-04-31T10:00:00Z'],
    ['month 13', '2026-13-01T10:00:00Z'],
    ['month 00', '2026-00-01T10:00:00Z'],
    ['day 00', '2026-06-00T10:00:00Z'],
    ['hour 24', '2026-06-01T24:00:00Z'],
    ['minute 60', '2026-06-01T10:60:00Z'],
    ['second 60', '2026-06-01T10:00:60Z'],
    ['an offset of 24 hours', '2026-06-01T10:00:00+24:00'],
    ['an offset minute of 60', '2026-06-01T10:00:00+02:60'],
    ['a date alone', '2026-06-01'],
    ['a space instead of T', '2026-06-01 10:00:00Z'],
    ['an empty string', ''],
    ['a human date', 'June 1, 2026 10:00 UTC'],
    ['a numeric string', '1748772000'],
    ['trailing text', '2026-06-01T10:00:00Zjunk'],
  ])('refuses %s', (_label, occurredAt) => {
    expectValidationError(() => assertSafeEventInput(eventWith({ occurred_at: occurredAt })), {
      field: 'occurred_at',
      reason: 'invalid_date',
      message: ['ISO-8601', 'time zone'],
    });
  });

  it.each([
    ['a number', 1748772000000, 'a number'],
    ['a Date object', new Date('2026-06-01T10:00:00Z'), 'a Date'],
    ['null', null, 'null'],
  ])('refuses %s in the wire input', (_label, value, typeName) => {
    expectValidationError(() => assertSafeEventInput(eventWith({ occurred_at: value })), {
      field: 'occurred_at',
      reason: 'not_string',
      message: ['ISO-8601', typeName],
    });
  });
});

describe('assertSafeEventInput — which error comes first', () => {
  it('reports unknown fields before bad values', () => {
    expectValidationError(() => assertSafeEventInput(eventWith({ userId: 'x', user_id: '' })), {
      field: 'userId',
      reason: 'unknown_field',
    });
  });

  it('reports the first bad field in wire order', () => {
    expectValidationError(() => assertSafeEventInput(eventWith({ event: '', transaction_id: 7 })), {
      field: 'event',
      reason: 'empty',
    });
  });
});

describe('toOccurredAt', () => {
  it('turns a Date into its ISO string', () => {
    const date = new Date(Date.UTC(2026, 5, 1, 10, 0, 0, 123));
    expect(toOccurredAt(date)).toBe('2026-06-01T10:00:00.123Z');
    expect(toOccurredAt(date)).toBe(date.toISOString());
  });

  it('refuses an invalid Date', () => {
    expectValidationError(() => toOccurredAt(new Date('not a date')), {
      field: 'occurred_at',
      reason: 'invalid_date',
      message: ['invalid Date'],
    });
  });

  it('uses the field name it is given', () => {
    expectValidationError(() => toOccurredAt(new Date(Number.NaN), 'events[2].occurred_at'), {
      field: 'events[2].occurred_at',
      reason: 'invalid_date',
    });
    expectValidationError(() => toOccurredAt('2026-02-30T00:00:00Z', 'events[2].occurred_at'), {
      field: 'events[2].occurred_at',
      reason: 'invalid_date',
    });
  });

  it.each(['2026-06-01T10:00:00.000Z', '2026-06-01T12:00:00+02:00', '2026-06-01T12:00:00+0200'])(
    'returns the valid string %s unchanged',
    (value) => {
      expect(toOccurredAt(value)).toBe(value);
    },
  );

  it.each(['2026-06-01T10:00:00', '', '2026-13-01T00:00:00Z', '2026-06-01T24:00:00Z'])('refuses the string %j', (value) => {
    expectValidationError(() => toOccurredAt(value), { field: 'occurred_at', reason: 'invalid_date' });
  });

  it('refuses a non-string, non-Date value', () => {
    expectValidationError(() => toOccurredAt(1748772000000 as unknown as string), {
      field: 'occurred_at',
      reason: 'not_string',
    });
  });

  it('produces a value assertSafeEventInput accepts', () => {
    const occurred_at = toOccurredAt(new Date());
    expect(() => assertSafeEventInput(eventWith({ occurred_at }))).not.toThrow();
  });
});
