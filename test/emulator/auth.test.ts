import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signRequest } from '../../src/core/index.ts';
import type { Emulator } from '../../src/emulator/index.ts';
import { call, event, requestIdPattern, serverKey, start } from './helpers.ts';

let emu: Emulator;
beforeAll(async () => {
  emu = await start({ keys: { server: [serverKey, 'sk_test_rotated'], browser: ['pk_test_emulator'] }, signatureToleranceSeconds: 60 });
});
afterAll(() => emu.close());

const body = event('auth_user', 'page.viewed', 'auth:1');

describe('server key', () => {
  it('answers 401 missing_api_key without the header, on GET and POST', async () => {
    for (const res of [await call(emu, '/v1/program', { key: null }), await call(emu, '/v1/events', { body, key: null, sign: { key: serverKey } })]) {
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('missing_api_key');
      expect(res.headers.get('x-perkamo-request-id')).toMatch(requestIdPattern);
    }
  });

  it('answers 401 invalid_api_key for an unknown key and never echoes it', async () => {
    const res = await call(emu, '/v1/customer/x', { key: 'sk_live_leaked_value' });
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('invalid_api_key');
    expect(res.text).not.toContain('sk_live_leaked_value');
  });

  it('accepts every configured key (one Space: rotating keys keeps the state)', async () => {
    const a = await call(emu, '/v1/events', { body: event('rot', 'page.viewed', 'rot:1') });
    const b = await call(emu, '/v1/events', { body: event('rot', 'page.viewed', 'rot:1'), key: 'sk_test_rotated' });
    expect(a.body.applied).toBe(true);
    expect(b.body.duplicate).toBe(true);
  });
});

describe('request signatures', () => {
  it('answers 401 missing_signature for an unsigned POST', async () => {
    const res = await call(emu, '/v1/events', { body, sign: false });
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('missing_signature');
    const half = await call(emu, '/v1/events', { body, sign: false, headers: { 'x-perkamo-timestamp': String(Math.floor(Date.now() / 1000)) } });
    expect(half.body.code).toBe('missing_signature');
  });

  it('answers 401 invalid_signature when the signature does not match the raw body, path or key', async () => {
    const wrongKey = await call(emu, '/v1/events', { body, sign: { key: 'sk_test_other' } });
    expect(wrongKey.status).toBe(401);
    expect(wrongKey.body.code).toBe('invalid_signature');
    expect(wrongKey.text).not.toContain(serverKey);

    // Signed over other bytes of the same JSON value: the emulator hashes the raw body, it does not re-serialize.
    const raw = JSON.stringify(body, null, 2);
    const signedCompact = signRequest({ apiKey: serverKey, method: 'POST', path: '/v1/events', body: JSON.stringify(body) });
    const res = await call(emu, '/v1/events', { raw, sign: { signature: signedCompact['x-perkamo-signature'], timestamp: signedCompact['x-perkamo-timestamp'] } });
    expect(res.body.code).toBe('invalid_signature');
    const good = await call(emu, '/v1/events', { raw });
    expect(good.status).toBe(200);

    const otherPath = signRequest({ apiKey: serverKey, method: 'POST', path: '/v1/identify', body: JSON.stringify(body) });
    const moved = await call(emu, '/v1/events', { body, sign: { signature: otherPath['x-perkamo-signature'], timestamp: otherPath['x-perkamo-timestamp'] } });
    expect(moved.body.code).toBe('invalid_signature');
  });

  it('verifies PHP-encoded bodies (escaped slashes, \\u escapes) byte for byte', async () => {
    const raw = '{"user_id":"php\\/user","event":"page.viewed","transaction_id":"php:\\u00e9","context":[]}';
    const res = await call(emu, '/v1/events', { raw });
    expect(res.status).toBe(200);
    expect(emu.ledger().events.at(-1)).toMatchObject({ user_id: 'php/user', transaction_id: 'php:é' });
  });

  it('answers 401 stale_timestamp outside the window, naming the window', async () => {
    const old = Math.floor(Date.now() / 1000) - 61;
    const res = await call(emu, '/v1/events', { body, sign: { timestamp: old } });
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('stale_timestamp');
    expect(res.body.message).toContain('±60 s');
    const future = await call(emu, '/v1/events', { body, sign: { timestamp: Math.floor(Date.now() / 1000) + 120 } });
    expect(future.body.code).toBe('stale_timestamp');
    const inside = await call(emu, '/v1/events', { body: event('auth_user', 'page.viewed', 'auth:inside'), sign: { timestamp: old + 5 } });
    expect(inside.status).toBe(200);
  });

  it('answers 401 invalid_timestamp for a timestamp that is not whole seconds', async () => {
    const res = await call(emu, '/v1/events', { body, headers: { 'x-perkamo-timestamp': '1700000000.5' } });
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('invalid_timestamp');
  });

  it('needs only the key on GET requests', async () => {
    expect((await call(emu, '/v1/program')).status).toBe(200);
  });

  it('applies nothing from a request that failed authentication', async () => {
    const before = emu.ledger().applied;
    await call(emu, '/v1/events', { body: event('nope', 'page.viewed', 'nope:1'), sign: { key: 'sk_wrong' } });
    expect(emu.ledger().applied).toBe(before);
    expect(emu.customer('nope')).toBeUndefined();
  });
});

describe('requireSignatures: false', () => {
  it('accepts unsigned POSTs (as the quickstart curl sends) but still checks signatures that are sent', async () => {
    const lax = await start({ requireSignatures: false });
    try {
      expect((await call(lax, '/v1/events', { body, sign: false })).status).toBe(200);
      const bad = await call(lax, '/v1/events', { body, sign: { key: 'sk_other' } });
      expect(bad.body.code).toBe('invalid_signature');
    } finally {
      await lax.close();
    }
  });
});
