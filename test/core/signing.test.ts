import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { signRequest, verifySignature, type SignRequestInput } from '../../src/core/index.ts';
import { thrownBy } from './expect-error.ts';

const published = {
  apiKey: 'sk_test',
  timestamp: 1700000000,
  method: 'POST',
  path: '/v1/events',
  body: '{"space":"demo"}',
} satisfies SignRequestInput;
const publishedSignature = 'v1=6bbc1e5ba44b90642cb2f878838723f95d0272760c9bae93162479595e765621';

afterEach(() => {
  vi.useRealTimers();
});

describe('signRequest — test vectors', () => {
  it('matches the published PHP SDK vector', () => {
    expect(createHash('sha256').update(published.body).digest('hex')).toBe(
      'a0088b1a2ae42c9e5ade52a5fdb3a5a921312d271309ed2ee35ab58966b43970',
    );
    expect(signRequest(published)).toEqual({
      'x-perkamo-timestamp': '1700000000',
      'x-perkamo-signature': publishedSignature,
    });
  });

  it('matches the legacy (tenant era) vector', () => {
    expect(signRequest({ ...published, body: '{"tenant":"demo"}' })['x-perkamo-signature']).toBe(
      'v1=fe762eb8c15ef0eb3731e3a2d53a918a4dd918abdbd42bf04a5522646d79dcae',
    );
  });

  it.each(['post', 'Post', 'pOsT'])('upper-cases the method (%s)', (method) => {
    expect(signRequest({ ...published, method })['x-perkamo-signature']).toBe(publishedSignature);
  });

  it('matches the derived GET vector with an empty body', () => {
    const expected = 'v1=97fe494745feee37235b355dff2e769dee9b624c30d71880fea471cc822987ab';
    const get = { apiKey: 'sk_test', timestamp: 1700000000, method: 'GET', path: '/v1/customer/customer_123' };
    expect(signRequest(get)['x-perkamo-signature']).toBe(expected);
    expect(signRequest({ ...get, body: '' })['x-perkamo-signature']).toBe(expected);
    expect(signRequest({ ...get, body: new Uint8Array() })['x-perkamo-signature']).toBe(expected);
  });
});

describe('signRequest — body and timestamp', () => {
  it('gives the same signature for a Uint8Array body as for the string', () => {
    const bytes = new TextEncoder().encode(published.body);
    expect(signRequest({ ...published, body: bytes })['x-perkamo-signature']).toBe(publishedSignature);
    expect(signRequest({ ...published, body: Buffer.from(published.body) })['x-perkamo-signature']).toBe(publishedSignature);
  });

  it('hashes a string body as UTF-8', () => {
    const body = '{"name":"Jürgen 😀"}';
    expect(signRequest({ ...published, body })['x-perkamo-signature']).toBe(
      signRequest({ ...published, body: new TextEncoder().encode(body) })['x-perkamo-signature'],
    );
  });

  it('signs the exact bytes: an escaped and an unescaped body differ', () => {
    const escaped = signRequest({ ...published, body: '{"name":"J\\u00fcrgen"}' })['x-perkamo-signature'];
    const plain = signRequest({ ...published, body: '{"name":"Jürgen"}' })['x-perkamo-signature'];
    const spaced = signRequest({ ...published, body: '{"space": "demo"}' })['x-perkamo-signature'];
    expect(escaped).not.toBe(plain);
    expect(spaced).not.toBe(publishedSignature);
  });

  it('writes the timestamp header as the decimal string, from a number or a string', () => {
    expect(signRequest(published)['x-perkamo-timestamp']).toBe('1700000000');
    expect(signRequest({ ...published, timestamp: '1700000000' })).toEqual(signRequest(published));
  });

  it('defaults the timestamp to the current Unix second', () => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date(1700000000 * 1000 + 999));
    const { timestamp: _omitted, ...rest } = published;
    expect(signRequest(rest)).toEqual({ 'x-perkamo-timestamp': '1700000000', 'x-perkamo-signature': publishedSignature });
  });

  it('produces a lowercase hex signature of the expected length', () => {
    expect(signRequest({ ...published, apiKey: 'sk_live_ABC' })['x-perkamo-signature']).toMatch(/^v1=[0-9a-f]{64}$/);
  });

  it.each([
    ['negative', -1],
    ['fractional', 1700000000.5],
    ['milliseconds in exponent form', 1e21],
    ['a non-numeric string', 'now'],
    ['an empty string', ''],
    ['an ISO date', '2026-06-01T10:00:00Z'],
  ])('refuses a timestamp that is %s', (_label, timestamp) => {
    expect(thrownBy(() => signRequest({ ...published, timestamp }))).toBeInstanceOf(TypeError);
  });
});

describe('signRequest — path', () => {
  it.each(['/v1/events:batch', '/v1/customer/account%3Aacme%3A42', '/v1/identify'])('accepts the path %s', (path) => {
    expect(signRequest({ ...published, path })['x-perkamo-signature']).toMatch(/^v1=[0-9a-f]{64}$/);
  });

  it('signs the path: a different path gives a different signature', () => {
    expect(signRequest({ ...published, path: '/v1/events:batch' })['x-perkamo-signature']).not.toBe(publishedSignature);
  });

  it.each([
    ['a query string', '/v1/events?debug=1'],
    ['an empty query', '/v1/events?'],
    ['a fragment', '/v1/events#x'],
    ['a full URL', 'https://api.perkamo.com/v1/events'],
    ['a full URL with a query', 'http://localhost:4001/v1/events?x=1'],
    ['no leading slash', 'v1/events'],
    ['an empty path', ''],
  ])('refuses a path with %s', (_label, path) => {
    const error = thrownBy(() => signRequest({ ...published, path }));
    expect(error).toBeInstanceOf(TypeError);
    expect((error as TypeError).message).toContain(JSON.stringify(path));
  });
});

describe('verifySignature', () => {
  const signed = { ...published, timestamp: '1700000000', signature: publishedSignature };

  it('accepts the right signature', () => {
    expect(verifySignature(signed)).toBe(true);
    expect(verifySignature({ ...signed, body: new TextEncoder().encode(published.body) })).toBe(true);
    expect(verifySignature({ ...signed, method: 'post' })).toBe(true);
  });

  it('accepts a signature it made itself', () => {
    const headers = signRequest({ ...published, apiKey: 'sk_live_xyz', timestamp: 1767225600 });
    expect(
      verifySignature({
        ...published,
        apiKey: 'sk_live_xyz',
        timestamp: headers['x-perkamo-timestamp'],
        signature: headers['x-perkamo-signature'],
      }),
    ).toBe(true);
  });

  it.each([
    ['a tampered body', { body: '{"space":"demo2"}' }],
    ['a body with extra whitespace', { body: '{"space": "demo"}' }],
    ['an empty body', { body: '' }],
    ['a different timestamp', { timestamp: '1700000001' }],
    ['a wrong key', { apiKey: 'sk_test2' }],
    ['a different method', { method: 'PUT' }],
    ['a different path', { path: '/v1/identify' }],
    ['an upper-case hex signature', { signature: publishedSignature.toUpperCase().replace('V1=', 'v1=') }],
    ['a signature with one digit changed', { signature: `${publishedSignature.slice(0, -1)}0` }],
    ['a signature without the v1= prefix', { signature: publishedSignature.slice(3) }],
    ['a truncated signature', { signature: publishedSignature.slice(0, -2) }],
    ['a longer signature', { signature: `${publishedSignature}00` }],
    ['an empty signature', { signature: '' }],
  ])('refuses %s', (_label, change) => {
    expect(verifySignature({ ...signed, ...change })).toBe(false);
  });
});
