import { describe, expect, it } from 'vitest';
import { limits, normalizeTraits, toIdentifyBody, type PerkamoCustomerTraits } from '../../src/core/index.ts';
import { expectValidationError } from './expect-error.ts';

/** Every path at which `value` holds an undefined property or item. */
function undefinedPaths(value: unknown, path = '$'): string[] {
  if (value === null || typeof value !== 'object') return [];
  const out: string[] = [];
  for (const key of Object.keys(value)) {
    const item = (value as Record<string, unknown>)[key];
    if (item === undefined) out.push(`${path}.${key}`);
    else out.push(...undefinedPaths(item, `${path}.${key}`));
  }
  return out;
}

describe('normalizeTraits', () => {
  it('returns {} for undefined traits', () => {
    expect(normalizeTraits(undefined)).toEqual({});
  });

  it('returns an equal copy of JSON-safe traits, not the same object', () => {
    const traits = { email: 'customer@example.test', name: 'Customer Test', age: 42, vip: true, crm_id: null, tags: ['a', 'b'], address: { city: 'Graz' } };
    const out = normalizeTraits(traits);
    expect(out).toEqual(traits);
    expect(out).not.toBe(traits);
    expect(out.address).not.toBe(traits.address);
    expect(out.tags).not.toBe(traits.tags);
  });

  it('drops undefined properties at any depth and leaves the input alone', () => {
    // Nested undefined is not in the PerkamoCustomerTraits type, but a JS caller can still pass it.
    const traits: Record<string, unknown> = {
      email: 'customer@example.test',
      locale: undefined,
      address: { city: 'Graz', zip: undefined, geo: { lat: 47.07, lng: undefined } },
      orders: [{ id: 'o1', coupon: undefined }, { id: 'o2' }],
    };
    const out = normalizeTraits(traits);
    expect(out).toEqual({
      email: 'customer@example.test',
      address: { city: 'Graz', geo: { lat: 47.07 } },
      orders: [{ id: 'o1' }, { id: 'o2' }],
    });
    expect(undefinedPaths(out)).toEqual([]);
    expect(Object.keys(out)).toEqual(['email', 'address', 'orders']);
    expect('locale' in out).toBe(false);
    // The copy matches what JSON serialization would send.
    expect(out).toEqual(JSON.parse(JSON.stringify(traits)));
    // The caller's object still has its undefined properties.
    expect(undefinedPaths(traits)).toEqual(['$.locale', '$.address.zip', '$.address.geo.lng', '$.orders.0.coupon']);
  });

  it('returns {} when every trait is undefined', () => {
    const traits: PerkamoCustomerTraits = { a: undefined, b: undefined };
    expect(normalizeTraits(traits)).toEqual({});
  });

  it.each([
    ['a top-level array', { tags: ['a', undefined] }, 'traits.tags[1]'],
    ['a sparse array', { tags: ['a', , 'c'] }, 'traits.tags[1]'],
    ['a nested array', { orders: [{ items: ['x', undefined] }] }, 'traits.orders[0].items[1]'],
    ['the first item', { scores: [undefined] }, 'traits.scores[0]'],
  ])('refuses undefined inside %s, naming the index', (_label, traits, field) => {
    expectValidationError(() => normalizeTraits(traits), { field, reason: 'undefined', message: ['undefined'] });
  });

  it.each([
    ['NaN', { score: Number.NaN }, 'traits.score', 'not_finite'],
    ['Infinity', { score: Number.POSITIVE_INFINITY }, 'traits.score', 'not_finite'],
    ['a BigInt', { crm_id: 123n }, 'traits.crm_id', 'not_json'],
    ['a function', { greet: () => 'hi' }, 'traits.greet', 'not_json'],
    ['a symbol', { tag: Symbol('t') }, 'traits.tag', 'not_json'],
    ['a Date', { signed_up_at: new Date() }, 'traits.signed_up_at', 'not_json'],
    ['a Map', { prefs: new Map() }, 'traits.prefs', 'not_json'],
    ['NaN deep inside', { orders: [{ total: 1 }, { total: Number.NaN }] }, 'traits.orders[1].total', 'not_finite'],
  ])('refuses %s with its path', (_label, traits, field, reason) => {
    expectValidationError(() => normalizeTraits(traits), { field, reason });
  });

  it.each([
    ['__proto__ at the top', '{"__proto__":{"isAdmin":true}}', 'traits.__proto__'],
    ['__proto__ nested', '{"profile":{"__proto__":{"isAdmin":true}}}', 'traits.profile.__proto__'],
    ['constructor', '{"constructor":{"prototype":{"isAdmin":true}}}', 'traits.constructor'],
    ['prototype inside an array', '{"list":[{"prototype":1}]}', 'traits.list[0].prototype'],
  ])('refuses the prototype key %s', (_label, json, field) => {
    expectValidationError(() => normalizeTraits(JSON.parse(json)), { field, reason: 'forbidden_key' });
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
  });

  it('refuses an empty key', () => {
    expectValidationError(() => normalizeTraits({ '': 'x' }), { field: 'traits[""]', reason: 'empty_key' });
  });

  it.each([
    ['null', null],
    ['an array', [{ email: 'x' }]],
    ['a string', 'email=x'],
    ['a Date', new Date()],
    ['a class instance', new (class Traits { email = 'x' })()],
  ])('refuses %s as the traits object', (_label, traits) => {
    expectValidationError(() => normalizeTraits(traits), { field: 'traits', reason: 'not_object' });
  });

  it('does not apply the event context reserved keys to traits', () => {
    expect(normalizeTraits({ level: 'gold', plan: 'pro' })).toEqual({ level: 'gold', plan: 'pro' });
  });

  it('applies the depth limit: at the limit passes, one more fails', () => {
    const nest = (levels: number) => {
      let obj: Record<string, unknown> = { leaf: 1 };
      for (let i = 1; i < levels; i++) obj = { n: obj };
      return obj;
    };
    expect(() => normalizeTraits(nest(limits.maxDepth))).not.toThrow();
    expectValidationError(() => normalizeTraits(nest(limits.maxDepth + 1)), {
      field: `traits${'.n'.repeat(limits.maxDepth)}`,
      reason: 'too_deep',
      message: [`${limits.maxDepth} levels`],
    });
  });

  it('applies the size limit to the traits as sent', () => {
    const overhead = JSON.stringify({ bio: '' }).length;
    expect(() => normalizeTraits({ bio: 'x'.repeat(limits.maxPayloadBytes - overhead) })).not.toThrow();
    expectValidationError(() => normalizeTraits({ bio: 'x'.repeat(limits.maxPayloadBytes - overhead + 1) }), {
      field: 'traits',
      reason: 'too_large',
      message: [`${limits.maxPayloadBytes} bytes`],
    });
    // Dropped undefined properties do not count.
    expect(() =>
      normalizeTraits({ bio: 'x'.repeat(limits.maxPayloadBytes - overhead), extra: undefined }),
    ).not.toThrow();
  });

  it('names a custom field', () => {
    expectValidationError(() => normalizeTraits({ a: [undefined] }, 'body.traits'), {
      field: 'body.traits.a[0]',
      reason: 'undefined',
    });
  });
});

describe('toIdentifyBody', () => {
  it('returns the wire body with traits {} when none are given', () => {
    expect(toIdentifyBody({ user_id: 'customer_123' })).toEqual({ user_id: 'customer_123', traits: {} });
    expect(JSON.stringify(toIdentifyBody({ user_id: 'customer_123' }))).toBe('{"user_id":"customer_123","traits":{}}');
  });

  it('normalizes the traits (undefined dropped)', () => {
    const body = toIdentifyBody({
      user_id: 'customer_123',
      traits: { email: 'customer@example.test', locale: undefined, address: { zip: undefined, city: 'Graz' } },
    });
    expect(body).toEqual({ user_id: 'customer_123', traits: { email: 'customer@example.test', address: { city: 'Graz' } } });
    expect(undefinedPaths(body)).toEqual([]);
  });

  it('holds only user_id and traits', () => {
    const input = { user_id: 'customer_123', traits: { plan: 'pro' }, extra: 'ignored' };
    expect(Object.keys(toIdentifyBody(input)).sort()).toEqual(['traits', 'user_id']);
  });

  it.each([
    ['missing', undefined, 'required'],
    ['empty', '', 'empty'],
    ['blank', '  ', 'empty'],
    ['a number', 42, 'not_string'],
    ['257 bytes', 'u'.repeat(257), 'too_long'],
    ['129 two-byte characters', 'é'.repeat(129), 'too_long'],
    ['a control character', 'customer\n123', 'control_character'],
    ['a lone surrogate', 'customer\ud800', 'malformed_unicode'],
  ])('refuses a user_id that is %s', (_label, userId, reason) => {
    expectValidationError(() => toIdentifyBody({ user_id: userId, traits: {} }), { field: 'user_id', reason });
  });

  it('accepts a user_id of exactly 256 bytes', () => {
    expect(toIdentifyBody({ user_id: 'é'.repeat(128) }).user_id).toBe('é'.repeat(128));
  });

  it('reports bad traits with their path', () => {
    expectValidationError(() => toIdentifyBody({ user_id: 'customer_123', traits: { tags: [undefined] } }), {
      field: 'traits.tags[0]',
      reason: 'undefined',
    });
  });
});
