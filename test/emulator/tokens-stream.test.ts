import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHmac } from 'node:crypto';
import type { Emulator } from '../../src/emulator/index.ts';
import { browserKey, call, event, requestIdPattern, start, waitFor } from './helpers.ts';

let emu: Emulator;
beforeAll(async () => {
  emu = await start({ heartbeatMs: 50, tokenSecret: 'test-secret' });
});
afterAll(() => emu.close());
beforeEach(() => emu.reset());

function decode(token: string): { header: any; claims: any } {
  const [h, p] = token.split('.') as [string, string];
  return { header: JSON.parse(Buffer.from(h, 'base64url').toString()), claims: JSON.parse(Buffer.from(p, 'base64url').toString()) };
}

describe('POST /v1/browser-tokens', () => {
  it('mints an HS256 perkamo.client+jwt with the documented claims (default ttl 600)', async () => {
    const before = Math.floor(Date.now() / 1000);
    const res = await call(emu, '/v1/browser-tokens', { body: { browser_key: browserKey, user_id: 'customer_123' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('x-perkamo-request-id')).toMatch(requestIdPattern);
    expect(Object.keys(res.body).sort()).toEqual(['expires_at', 'expires_in', 'token', 'token_type']);
    expect(res.body.token_type).toBe('Bearer');
    expect(res.body.expires_in).toBe(600);
    const { header, claims } = decode(res.body.token);
    expect(header).toEqual({ alg: 'HS256', typ: 'perkamo.client+jwt', kid: browserKey });
    expect(claims).toEqual({
      iss: 'perkamo-emulator',
      aud: `${emu.url}/v1/client`,
      sub: 'customer_123',
      scope: ['customer:read', 'events:write'],
      iat: expect.any(Number),
      nbf: expect.any(Number),
      exp: expect.any(Number),
      jti: expect.stringMatching(/^pbt_[0-9a-f]{32}$/),
    });
    expect(claims.iat).toBeGreaterThanOrEqual(before);
    expect(claims.nbf).toBe(claims.iat);
    expect(claims.exp).toBe(claims.iat + 600);
    expect(res.body.expires_at).toBe(new Date(claims.exp * 1000).toISOString());
    const [h, p, s] = res.body.token.split('.');
    expect(createHmac('sha256', 'test-secret').update(`${h}.${p}`).digest('base64url')).toBe(s);
  });

  it('mints stream tokens with scope stream:read and the given ttl', async () => {
    const res = await call(emu, '/v1/browser-tokens', { body: { browser_key: browserKey, user_id: 'u', ttl_seconds: 120, purpose: 'stream' } });
    expect(res.body.expires_in).toBe(120);
    expect(decode(res.body.token).claims.scope).toEqual(['stream:read']);
  });

  it('refuses unknown browser keys, bad ttl and purpose', async () => {
    const unknown = await call(emu, '/v1/browser-tokens', { body: { browser_key: 'pk_test_other', user_id: 'u' } });
    expect(unknown.status).toBe(400);
    expect(unknown.body).toMatchObject({ code: 'unknown_browser_key', field: 'browser_key' });
    for (const ttl of [0, 1801, 1.5, '60']) {
      const res = await call(emu, '/v1/browser-tokens', { body: { browser_key: browserKey, user_id: 'u', ttl_seconds: ttl } });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ code: 'validation_failed', field: 'ttl_seconds' });
    }
    const purpose = await call(emu, '/v1/browser-tokens', { body: { browser_key: browserKey, user_id: 'u', purpose: 'admin' } });
    expect(purpose.body).toMatchObject({ code: 'validation_failed', field: 'purpose' });
    const user = await call(emu, '/v1/browser-tokens', { body: { browser_key: browserKey } });
    expect(user.body).toMatchObject({ code: 'validation_failed', field: 'user_id' });
    const edges = await Promise.all([1, 1800].map((ttl) => call(emu, '/v1/browser-tokens', { body: { browser_key: browserKey, user_id: 'u', ttl_seconds: ttl } })));
    expect(edges.map((r) => r.status)).toEqual([200, 200]);
  });

  it('needs a signed request with a server key', async () => {
    const res = await call(emu, '/v1/browser-tokens', { body: { browser_key: browserKey, user_id: 'u' }, sign: false });
    expect(res.body.code).toBe('missing_signature');
  });
});

interface SseEvent {
  event: string;
  data: string;
  id?: string;
}

/** A minimal SSE reader over fetch, to check the wire format itself. */
async function openStream(url: string, headers: Record<string, string> = {}) {
  const controller = new AbortController();
  const response = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: controller.signal });
  const events: SseEvent[] = [];
  const comments: string[] = [];
  let raw = '';
  if (response.ok && response.body) {
    void (async () => {
      const decoder = new TextDecoder();
      let buffer = '';
      try {
        for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
          const text = decoder.decode(chunk, { stream: true });
          raw += text;
          buffer += text;
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const e: SseEvent = { event: 'message', data: '' };
            for (const line of block.split('\n')) {
              if (line.startsWith(':')) comments.push(line);
              else if (line.startsWith('event: ')) e.event = line.slice(7);
              else if (line.startsWith('data: ')) e.data += line.slice(6);
              else if (line.startsWith('id: ')) e.id = line.slice(4);
            }
            if (e.data) events.push(e);
          }
        }
      } catch {
        // aborted
      }
    })();
  }
  return { response, events, comments, raw: () => raw, close: () => controller.abort() };
}

const streamUrl = (userId: string) => `${emu.url}/v1/client/customer/${encodeURIComponent(userId)}/stream`;

describe('customer stream', () => {
  it('sends the empty customer on connect, then a snapshot after each change, and heartbeats', async () => {
    const token = emu.issueToken({ userId: 'account:acme:42', purpose: 'stream' });
    const stream = await openStream(streamUrl('account:acme:42'), { authorization: `Bearer ${token}` });
    try {
      expect(stream.response.status).toBe(200);
      expect(stream.response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
      expect(stream.response.headers.get('cache-control')).toContain('no-cache');
      expect(stream.response.headers.get('x-perkamo-request-id')).toMatch(requestIdPattern);
      await waitFor(() => stream.events.length >= 1 || undefined);
      expect(stream.raw().startsWith('retry: 2000\n\n')).toBe(true);
      const first = stream.events[0] as SseEvent;
      expect(first.event).toBe('customer');
      expect(first.id).toBe('0');
      expect(JSON.parse(first.data)).toEqual({
        user_id: 'account:acme:42',
        traits: {},
        wallets: { points: 0, xp: 0 },
        level: { wallet: 'points', level: 1, current: 0, currentLevelAt: 0, nextLevelAt: 100, progress: 0 },
        perks: [],
        flags: { perks: { welcome_member: false, loyal_customer: false, eager_learner: false, ambassador: false } },
        created_at: null,
        updated_at: null,
      });

      await call(emu, '/v1/events', { body: event('account:acme:42', 'user.registered', 'reg') });
      await waitFor(() => stream.events.length >= 2 || undefined);
      const second = JSON.parse((stream.events[1] as SseEvent).data);
      const read = await call(emu, '/v1/customer/account%3Aacme%3A42');
      expect(second).toEqual(read.body);
      expect(second.flags.perks.welcome_member).toBe(true);

      await call(emu, '/v1/identify', { body: { user_id: 'account:acme:42', traits: { plan: 'pro' } } });
      await waitFor(() => stream.events.length >= 3 || undefined);
      expect(JSON.parse((stream.events[2] as SseEvent).data).traits).toEqual({ plan: 'pro' });
      expect(stream.events.map((e) => e.id)).toEqual(['0', '1', '2']);

      // A duplicate changes nothing, so nothing is pushed; other customers' changes are not sent.
      await call(emu, '/v1/events', { body: event('account:acme:42', 'user.registered', 'reg') });
      await call(emu, '/v1/events', { body: event('someone_else', 'user.registered', 'reg2') });
      await waitFor(() => stream.comments.length >= 2 || undefined);
      expect(stream.comments).toContain(': heartbeat');
      expect(stream.events).toHaveLength(3);
    } finally {
      stream.close();
    }
  });

  it('accepts the token as ?access_token= (EventSource) and answers CORS for local origins', async () => {
    const token = emu.issueToken({ userId: 'web', purpose: 'stream' });
    const stream = await openStream(`${streamUrl('web')}?access_token=${token}`, { origin: 'http://localhost:5173' });
    try {
      expect(stream.response.status).toBe(200);
      expect(stream.response.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
      await waitFor(() => stream.events.length >= 1 || undefined);
    } finally {
      stream.close();
    }
    const preflight = await fetch(streamUrl('web'), {
      method: 'OPTIONS',
      headers: { origin: 'http://127.0.0.1:3000', 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:3000');
    expect(preflight.headers.get('access-control-allow-headers')).toContain('authorization');
    expect(preflight.headers.get('access-control-allow-methods')).toContain('GET');
    const foreign = await fetch(streamUrl('web'), { method: 'OPTIONS', headers: { origin: 'https://evil.example' } });
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('answers 401 for a missing, forged or expired token and 403 for another user or a non-stream token', async () => {
    const url = streamUrl('victim');
    const expect401 = async (headers: Record<string, string>, code: string) => {
      const res = await fetch(url, { headers });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(((await res.json()) as { code: string }).code).toBe(code);
    };
    await expect401({}, 'missing_token');
    const good = emu.issueToken({ userId: 'victim', purpose: 'stream' });
    const [h, p] = good.split('.') as [string, string];
    const forgedClaims = Buffer.from(JSON.stringify({ ...decode(good).claims, sub: 'victim' })).toString('base64url');
    await expect401({ authorization: `Bearer ${h}.${forgedClaims}.${createHmac('sha256', 'guess').update(`${h}.${p}`).digest('base64url')}` }, 'invalid_token');
    await expect401({ authorization: 'Bearer not-a-jwt' }, 'invalid_token');
    const expired = emu.issueToken({ userId: 'victim', purpose: 'stream', ttlSeconds: 60, now: Math.floor(Date.now() / 1000) - 120 });
    await expect401({ authorization: `Bearer ${expired}` }, 'invalid_token');

    const other = emu.issueToken({ userId: 'attacker', purpose: 'stream' });
    const forbidden = await fetch(url, { headers: { authorization: `Bearer ${other}` } });
    expect(forbidden.status).toBe(403);
    expect(((await forbidden.json()) as { code: string }).code).toBe('forbidden');
    const browser = emu.issueToken({ userId: 'victim' });
    const wrongScope = await fetch(url, { headers: { authorization: `Bearer ${browser}` } });
    expect(wrongScope.status).toBe(403);
    expect(emu.streamCount()).toBe(0);
  });

  it('works with a token minted over HTTP, and close() ends open streams', async () => {
    const local = await start({ heartbeatMs: 1000 });
    const minted = await call(local, '/v1/browser-tokens', { body: { browser_key: browserKey, user_id: 'closer', purpose: 'stream' } });
    const controller = new AbortController();
    const res = await fetch(`${local.url}/v1/client/customer/closer/stream`, {
      headers: { authorization: `Bearer ${minted.body.token}` },
      signal: controller.signal,
    });
    expect(res.status).toBe(200);
    await waitFor(() => local.streamCount() === 1 || undefined);
    const text = res.text();
    await local.close();
    await expect(text).resolves.toContain('event: customer');
  });
});
