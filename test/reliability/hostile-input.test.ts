// Hostile input against every entry point of the BUILT functions — every HTTP route (POST /events,
// /events/batch, /identify, /stream-token with a valid token), SQS records (batch, identify) and
// EventBridge details (emit, identify): a fixed corpus plus seeded fast-check properties.
// Every case must be refused — a 4xx naming the field, a failed record whose logged reason names
// it, or a thrown PerkamoValidationError naming it — never a 5xx or a crash, and the emulator must
// receive NO request for it.
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { reservedContextKeys } from '../../src/core/limits.ts';
import { bearer } from '../helpers/functions.ts';
import {
  CaseCounter,
  expectEventBridgeRefusal,
  expectHttpRefusal,
  expectSqsRefusal,
  httpInvoke,
  routeOf,
  startHarness,
  type FunctionName,
  type Harness,
  type Refusal,
} from './harness.ts';

const SEED = 20261125;
const RUNS = 100;
const counter = new CaseCounter();
let h: Harness;
let emitHeaders: Record<string, string>;
let identifyHeaders: Record<string, string>;
let streamHeaders: Record<string, string>;
const STREAM_USER = 'stream_user';

beforeAll(async () => {
  h = await startHarness();
  emitHeaders = await bearer('backend', ['perkamo:emit']);
  identifyHeaders = await bearer('backend', ['perkamo:identify']);
  streamHeaders = await bearer(STREAM_USER, []);
});
beforeEach(() => h.emulator.reset());
afterAll(async () => {
  counter.print('hostile input');
  await h?.close();
});

/** Every case ends here: nothing may have reached Perkamo, and nothing may have been polluted. */
function expectNothingSent(what: string) {
  expect(h.requests(), `${what}: the emulator received a request`).toBe(0);
  expect(({} as Record<string, unknown>).polluted, `${what}: Object.prototype polluted`).toBeUndefined();
}

// ---------------------------------------------------------------------------------------------
// Payload builders over raw JSON text, so that `__proto__` keys, lone surrogates (`"\ud800"`) and
// `1e999` reach the function exactly as a hostile client would write them.
// ---------------------------------------------------------------------------------------------

const q = (s: string) => JSON.stringify(s);
type Fields = Record<string, string | undefined>;
const obj = (fields: Fields) =>
  `{${Object.entries(fields)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k.startsWith('"') ? k : q(k)}:${v}`)
    .join(',')}}`;
const baseEvent: Fields = { user_id: q('u_hostile'), event: q('page.viewed'), transaction_id: q('tx_hostile') };
const ev = (over: Fields) => obj({ ...baseEvent, ...over });
const ctx = (inner: string) => ev({ context: inner });
const baseIdentify: Fields = { user_id: q('u_hostile'), traits: '{"plan":"pro"}' };
const idf = (over: Fields) => obj({ ...baseIdentify, ...over });
const nest = (levels: number, leaf = '1', kind: 'object' | 'array' | 'mixed' = 'object') => {
  let out = leaf;
  for (let i = 0; i < levels; i++) {
    const k = kind === 'mixed' ? (i % 2 ? 'array' : 'object') : kind;
    out = k === 'object' ? `{"a":${out}}` : `[${out}]`;
  }
  return out;
};

interface Case extends Refusal {
  name: string;
  raw: string;
}

const notJson: Refusal = { code: 'invalid_json' };
const malformed: [string, string][] = [
  ['truncated object', '{"user_id":"u","event":'],
  ['trailing comma', '{"user_id":"u",}'],
  ['single quotes', "{'user_id':'u'}"],
  ['unquoted keys', '{user_id:"u"}'],
  ['NaN', 'NaN'],
  ['undefined', 'undefined'],
  ['two documents', '{"a":1}{"b":2}'],
  ['byte-order mark', '\ufeff{"user_id":"u","event":"page.viewed","transaction_id":"t"}'],
  ['NUL byte', '\u0000'],
  ['a comment', '// {"user_id":"u"}'],
  ['1,000,000 unclosed brackets', '['.repeat(1_000_000)],
  ['hex number', '{"user_id":0x10}'],
  ['raw control character in a string', '{"user_id":"a\u0001b","event":"page.viewed","transaction_id":"t"}'],
  ['invalid escape', '{"user_id":"\\x41","event":"page.viewed","transaction_id":"t"}'],
];

/** Bodies that are JSON but not an object: refused as "must be a JSON object" (field ''). */
const notObject: [string, string][] = [
  ['a number', '1'],
  ['a string', '"purchase.completed"'],
  ['null', 'null'],
  ['true', 'true'],
  ['an empty array', '[]'],
  ['an array of events', '[{"user_id":"u","event":"page.viewed","transaction_id":"t"}]'],
];

const idCases = (field: string, build: (raw: string) => string): Case[] => [
  { name: `${field} is a number`, raw: build('123'), field },
  { name: `${field} is a float`, raw: build('1.5'), field },
  { name: `${field} is true`, raw: build('true'), field },
  { name: `${field} is an array`, raw: build('["u"]'), field },
  { name: `${field} is an object`, raw: build('{"id":"u"}'), field },
  { name: `${field} is null`, raw: build('null'), field },
  { name: `${field} is 1e999`, raw: build('1e999'), field },
  { name: `${field} is empty`, raw: build('""'), field },
  { name: `${field} is blank (NBSP, ideographic space)`, raw: build(q('\u00a0\u3000 ')), field },
  // trim() keeps U+200B: an id of invisible format characters only is blank all the same.
  { name: `${field} is only zero-width spaces`, raw: build(q('\u200b\u200b')), field, status: 400, code: 'validation_failed' },
  { name: `${field} is a tab`, raw: build(q('\t')), field },
  { name: `${field} has a NUL`, raw: build('"a\\u0000b"'), field },
  { name: `${field} has a newline`, raw: build('"line\\nbreak"'), field },
  { name: `${field} has ESC (ANSI colours)`, raw: build('"\\u001b[31mred"'), field },
  { name: `${field} has DEL`, raw: build(q('a\u007fb')), field },
  { name: `${field} has a C1 control (NEL)`, raw: build(q('a\u0085b')), field },
  { name: `${field} is a lone high surrogate`, raw: build('"\\ud800"'), field },
  { name: `${field} ends in a lone high surrogate`, raw: build('"emoji\\ud83d"'), field },
  { name: `${field} is a lone low surrogate`, raw: build('"x\\udc00y"'), field },
  { name: `${field} has two high surrogates`, raw: build('"\\udbff\\udbff"'), field },
  { name: `${field} is 300 bytes`, raw: build(q('x'.repeat(300))), field },
  { name: `${field} is 129 × é (258 bytes)`, raw: build(q('é'.repeat(129))), field },
];

const eventCorpus: Case[] = [
  ...malformed.map(([name, raw]) => ({ name: `malformed JSON: ${name}`, raw, ...notJson })),
  ...notObject.map(([name, raw]) => ({ name: `not an object: ${name}`, raw, field: '', mentions: 'must be a JSON object' })),
  // HTTP asks for transaction_id first (no Idempotency-Key); SQS and EventBridge derive one, then need user_id.
  { name: 'empty object', raw: '{}', mentions: 'is required' },
  // Prototype pollution, as raw JSON text (JSON.parse makes `__proto__` an own property).
  { name: 'top-level __proto__', raw: ev({ ['__proto__']: '{"polluted":"yes"}' }), field: '__proto__' },
  { name: 'top-level constructor.prototype', raw: ev({ constructor: '{"prototype":{"polluted":"yes"}}' }), field: 'constructor' },
  { name: 'top-level prototype', raw: ev({ prototype: '{"polluted":"yes"}' }), field: 'prototype' },
  { name: 'context.__proto__', raw: ctx('{"__proto__":{"polluted":"yes"}}'), field: 'context.__proto__' },
  { name: 'context.__proto__ written with \\u escapes', raw: ctx('{"\\u005f\\u005fproto\\u005f\\u005f":{"polluted":"yes"}}'), field: 'context.__proto__' },
  { name: 'nested constructor.prototype', raw: ctx('{"a":{"constructor":{"prototype":{"polluted":"yes"}}}}'), field: 'context.a.constructor' },
  { name: 'prototype inside an array', raw: ctx('{"list":[{"prototype":{"polluted":"yes"}}]}'), field: 'context.list[0].prototype' },
  { name: '__proto__ four levels down', raw: ctx('{"a":{"b":{"c":{"__proto__":{"polluted":"yes"}}}}}'), field: 'context.a.b.c.__proto__' },
  // Ids.
  ...idCases('user_id', (v) => ev({ user_id: v })),
  ...idCases('event', (v) => ev({ event: v })),
  ...idCases('transaction_id', (v) => ev({ transaction_id: v })),
  // Numbers.
  { name: '1e999 in context', raw: ctx('{"amount":1e999}'), field: 'context.amount' },
  { name: '-1e999 in context', raw: ctx('{"amount":-1e999}'), field: 'context.amount' },
  { name: '1e400 in a nested array', raw: ctx('{"a":[1,2,1e400]}'), field: 'context.a[2]' },
  // Reserved keys in any case.
  ...['xp', 'XP', 'Xp', 'wallet', 'WaLLet', 'Wallets', 'WALLETS', 'rewards', 'Rewards', 'LEVEL', 'level', 'Perks', 'ACHIEVEMENTS'].map(
    (key): Case => ({ name: `reserved context key ${key}`, raw: ctx(`{${q(key)}:500}`), field: `context.${key}` }),
  ),
  // Dates.
  ...[
    '2026-02-30T10:00:00Z',
    '2025-02-29T00:00:00Z',
    '2026-13-01T00:00:00Z',
    '2026-00-10T00:00:00Z',
    '2026-11-25T24:00:00Z',
    '2026-11-25T12:60:00Z',
    '2026-11-25T12:00:60Z',
    '2026-11-25T12:00:00',
    '2026-11-25',
    '2026-11-25 12:00:00Z',
    '2026-11-25T12:00:00+25:00',
    '2026-11-25T12:00:00.1234567890Z',
    '２０２６-11-25T12:00:00Z',
    '+275760-09-13T00:00:00Z',
    'yesterday',
    '',
    'Wed, 25 Nov 2026 12:00:00 GMT',
  ].map((date): Case => ({ name: `occurred_at ${q(date)}`, raw: ev({ occurred_at: q(date) }), field: 'occurred_at' })),
  { name: 'occurred_at as epoch seconds', raw: ev({ occurred_at: '1764072000' }), field: 'occurred_at' },
  { name: 'occurred_at null', raw: ev({ occurred_at: 'null' }), field: 'occurred_at' },
  { name: 'occurred_at 1e999', raw: ev({ occurred_at: '1e999' }), field: 'occurred_at' },
  // Unknown fields.
  { name: 'camelCase userId', raw: obj({ userId: q('u'), event: q('page.viewed'), transaction_id: q('t') }), field: 'userId', mentions: "did you mean 'user_id'" },
  { name: 'camelCase transactionId', raw: ev({ transactionId: q('t2') }), field: 'transactionId' },
  { name: 'legacy tenant', raw: ev({ tenant: q('acme') }), field: 'tenant' },
  { name: 'Context with a capital C', raw: ev({ Context: '{}' }), field: 'Context' },
  { name: 'key with a leading space', raw: ev({ ' user_id': q('u') }), field: ' user_id' },
  // Shapes and sizes.
  { name: 'context is an array', raw: ctx('[]'), field: 'context' },
  { name: 'context is a string', raw: ctx('"x"'), field: 'context' },
  { name: 'context is null', raw: ctx('null'), field: 'context' },
  { name: 'context is 5', raw: ctx('5'), field: 'context' },
  { name: 'context has an empty key', raw: ctx('{"":1}'), field: 'context[""]' },
  { name: 'context has a blank key', raw: ctx('{"  ":1}'), field: 'context["  "]' },
  { name: 'context 9 objects deep', raw: ctx(nest(9)), fieldPrefix: 'context.a', mentions: 'nested more than 8' },
  { name: 'context 9 arrays deep', raw: ctx(`{"a":${nest(8, '1', 'array')}}`), fieldPrefix: 'context.a', mentions: 'nested more than 8' },
  { name: 'context 100,000 objects deep', raw: ctx(nest(100_000)), fieldPrefix: 'context.a', mentions: 'nested more than 8' },
  { name: 'context 500,000 arrays deep', raw: ctx(`{"a":${nest(500_000, '1', 'array')}}`), fieldPrefix: 'context.a', mentions: 'nested more than 8' },
  { name: 'context of 40 KiB', raw: ctx(`{"blob":${q('x'.repeat(40 * 1024))}}`), field: 'context', mentions: 'bytes' },
  { name: 'context of 5,000 keys', raw: ctx(`{${Array.from({ length: 5000 }, (_, i) => `"k${i}":${i}`).join(',')}}`), field: 'context', mentions: 'bytes' },
];

const identifyCorpus: Case[] = [
  ...malformed.map(([name, raw]) => ({ name: `malformed JSON: ${name}`, raw, ...notJson })),
  ...notObject.map(([name, raw]) => ({ name: `not an object: ${name}`, raw, field: '', mentions: 'must be a JSON object' })),
  { name: 'empty object', raw: '{}', field: 'user_id' },
  ...idCases('user_id', (v) => idf({ user_id: v })),
  { name: 'top-level __proto__', raw: idf({ ['__proto__']: '{"polluted":"yes"}' }), field: '__proto__' },
  { name: 'top-level constructor', raw: idf({ constructor: '{"prototype":{"polluted":"yes"}}' }), field: 'constructor' },
  { name: 'traits.__proto__', raw: idf({ traits: '{"__proto__":{"polluted":"yes"}}' }), field: 'traits.__proto__' },
  { name: 'traits.a.constructor', raw: idf({ traits: '{"a":{"constructor":{"prototype":{"polluted":"yes"}}}}' }), field: 'traits.a.constructor' },
  { name: 'traits.list[1].prototype', raw: idf({ traits: '{"list":[1,{"prototype":1}]}' }), field: 'traits.list[1].prototype' },
  { name: 'traits 1e999', raw: idf({ traits: '{"score":1e999}' }), field: 'traits.score' },
  { name: 'traits -1e999 in an array', raw: idf({ traits: '{"scores":[-1e999]}' }), field: 'traits.scores[0]' },
  { name: 'traits is an array', raw: idf({ traits: '[]' }), field: 'traits' },
  { name: 'traits is a string', raw: idf({ traits: '"pro"' }), field: 'traits' },
  { name: 'traits is null', raw: idf({ traits: 'null' }), field: 'traits' },
  { name: 'traits has an empty key', raw: idf({ traits: '{"":1}' }), field: 'traits[""]' },
  { name: 'traits 9 levels deep', raw: idf({ traits: nest(9) }), fieldPrefix: 'traits.a', mentions: 'nested more than 8' },
  { name: 'traits 100,000 levels deep', raw: idf({ traits: `{"deep":${nest(100_000, '1', 'mixed')}}` }), fieldPrefix: 'traits.deep', mentions: 'nested more than 8' },
  { name: 'traits of 40 KiB', raw: idf({ traits: `{"bio":${q('x'.repeat(40 * 1024))}}` }), field: 'traits', mentions: 'bytes' },
  { name: 'camelCase userId', raw: obj({ userId: q('u') }), field: 'userId' },
  { name: 'unknown field', raw: idf({ email: q('a@b.c') }), field: 'email' },
  { name: 'Traits with a capital T', raw: idf({ Traits: '{}' }), field: 'Traits' },
];

const streamCorpus: Case[] = [
  ...malformed.map(([name, raw]) => ({ name: `malformed JSON: ${name}`, raw, ...notJson, status: 400 })),
  ...notObject.filter(([, raw]) => raw !== 'null').map(([name, raw]) => ({ name: `not an object: ${name}`, raw, status: 400, mentions: 'must be a JSON object' })),
  { name: 'null', raw: 'null', status: 400 },
  { name: 'another user', raw: obj({ user_id: q('victim') }), status: 403, code: 'forbidden' },
  { name: 'another user differing in case', raw: obj({ user_id: q(STREAM_USER.toUpperCase()) }), status: 403, code: 'forbidden' },
  { name: 'own id with a trailing space', raw: obj({ user_id: q(`${STREAM_USER} `) }), status: 403, code: 'forbidden' },
  { name: 'own id with a NUL', raw: obj({ user_id: `"${STREAM_USER}\\u0000"` }), status: 403, code: 'forbidden' },
  { name: 'own id with a zero-width space', raw: obj({ user_id: q(`${STREAM_USER}\u200b`) }), status: 403, code: 'forbidden' },
  { name: 'user_id a number', raw: obj({ user_id: '123' }), status: 403, code: 'forbidden' },
  { name: 'user_id null', raw: obj({ user_id: 'null' }), status: 403, code: 'forbidden' },
  { name: 'user_id an array holding the own id', raw: obj({ user_id: `[${q(STREAM_USER)}]` }), status: 403, code: 'forbidden' },
  { name: 'own id plus an unknown field', raw: obj({ user_id: q(STREAM_USER), ttl_seconds: '1800' }), status: 400, field: 'ttl_seconds' },
  { name: '__proto__ carrying a user id', raw: obj({ ['__proto__']: `{"user_id":${q('victim')}}` }), status: 400, field: '__proto__' },
  { name: 'constructor', raw: obj({ constructor: '1' }), status: 400, field: 'constructor' },
  { name: 'camelCase userId', raw: obj({ userId: q(STREAM_USER) }), status: 400, field: 'userId' },
];

// ---------------------------------------------------------------------------------------------
// Targets
// ---------------------------------------------------------------------------------------------

type Target = (c: Case) => Promise<void>;

/** The raw text parsed, or undefined when it is not JSON (boxed: `null` is JSON too). */
function parseJson(raw: string): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(raw) };
  } catch {
    return undefined;
  }
}
const isJson = (raw: string) => parseJson(raw) !== undefined;
/** An EventBridge detail is JSON; a non-JSON one arrives as a string. */
const detailOf = (raw: string): unknown => {
  const parsed = parseJson(raw);
  return parsed ? parsed.value : raw;
};

/** The naming part of a refusal (field, fieldPrefix, mentions), its field paths mapped by `path`. */
function naming(want: Refusal, path: (field: string) => string = (field) => field): Refusal {
  return {
    ...(want.field !== undefined && { field: path(want.field) }),
    ...(want.fieldPrefix && { fieldPrefix: path(want.fieldPrefix) }),
    ...(want.mentions && { mentions: want.mentions }),
  };
}
/** A field path of the event at index `i` of a batch body ('' is the event itself). */
const inBatch = (i: number) => (field: string) => (field === '' ? `events[${i}]` : field.startsWith('[') ? `events[${i}]${field}` : `events[${i}].${field}`);

/** The refusal when a non-JSON body reaches SQS (not JSON) or EventBridge (a string detail). */
function recordRefusal(c: Case, kind: 'sqs' | 'eventbridge'): Refusal {
  if (c.code === 'invalid_json') return kind === 'sqs' ? { mentions: 'not JSON' } : { field: '', mentions: 'must be a JSON object' };
  return naming(c);
}

const targets: Record<string, Target> = {
  // The raw text as the whole batch body.
  'HTTP POST /events/batch body': async (c) => {
    expectHttpRefusal(await httpInvoke(h, 'batch', c.raw, emitHeaders), c, c.name);
  },
  'HTTP POST /events': async (c) => {
    expectHttpRefusal(await httpInvoke(h, 'emit', c.raw, emitHeaders), c, c.name);
  },
  'HTTP POST /events/batch': async (c) => {
    // The event inside a batch (field under events[0]) when it is JSON; the raw text as the whole body otherwise.
    if (!isJson(c.raw)) {
      expectHttpRefusal(await httpInvoke(h, 'batch', c.raw, emitHeaders), c, c.name);
      return;
    }
    expectHttpRefusal(await httpInvoke(h, 'batch', `{"events":[${c.raw}]}`, emitHeaders), naming(c, inBatch(0)), `${c.name} (in a batch)`);
  },
  'HTTP POST /identify': async (c) => {
    expectHttpRefusal(await httpInvoke(h, 'identify', c.raw, identifyHeaders), c, c.name);
  },
  'HTTP POST /stream-token': async (c) => {
    expectHttpRefusal(await httpInvoke(h, 'stream-token', c.raw, streamHeaders), c, c.name);
  },
  'SQS → batch': (c) => expectSqsRefusal(h, 'batch', c.raw, recordRefusal(c, 'sqs'), c.name),
  'SQS → identify': (c) => expectSqsRefusal(h, 'identify', c.raw, recordRefusal(c, 'sqs'), c.name),
  'EventBridge → emit': (c) => expectEventBridgeRefusal(h, 'emit', detailOf(c.raw), recordRefusal(c, 'eventbridge'), c.name),
  'EventBridge → identify': (c) => expectEventBridgeRefusal(h, 'identify', detailOf(c.raw), recordRefusal(c, 'eventbridge'), c.name),
};

async function runCase(target: string, c: Case) {
  h.emulator.reset();
  await targets[target]!(c);
  expectNothingSent(`${target}: ${c.name}`);
  counter.add(target.replace(/ body$/, ''));
}

// ---------------------------------------------------------------------------------------------
// Fixed corpus
// ---------------------------------------------------------------------------------------------

describe('fixed corpus', () => {
  for (const target of ['HTTP POST /events', 'HTTP POST /events/batch', 'SQS → batch', 'EventBridge → emit']) {
    it(`${target}: ${eventCorpus.length} hostile events are refused naming the field, nothing sent`, async () => {
      for (const c of eventCorpus) await runCase(target, c);
    }, 60_000);
  }
  for (const target of ['HTTP POST /identify', 'SQS → identify', 'EventBridge → identify']) {
    it(`${target}: ${identifyCorpus.length} hostile identify payloads are refused naming the field, nothing sent`, async () => {
      for (const c of identifyCorpus) await runCase(target, c);
    }, 60_000);
  }
  it(`HTTP POST /stream-token: ${streamCorpus.length} hostile bodies get 400/403, nothing minted`, async () => {
    for (const c of streamCorpus) await runCase('HTTP POST /stream-token', c);
  });

  const validBodies: [FunctionName, () => Record<string, string>, string][] = [
    ['emit', () => emitHeaders, ev({})],
    ['batch', () => emitHeaders, `{"events":[${ev({})}]}`],
    ['identify', () => identifyHeaders, idf({})],
    ['stream-token', () => streamHeaders, '{}'],
  ];

  for (const [name, headers, valid] of validBodies) {
    it(`HTTP ${routeOf(name)}: wrong content types (415), oversized bodies (413), undecodable base64 (400)`, async () => {
      const target = `HTTP ${routeOf(name)}`;
      const check = async (what: string, raw: string, extra: Record<string, string>, want: Refusal, base64?: 'encode' | 'flag-only') => {
        h.emulator.reset();
        expectHttpRefusal(await httpInvoke(h, name, raw, { ...headers(), ...extra }, { ...(base64 && { base64 }) }), want, what);
        expectNothingSent(`${target}: ${what}`);
        counter.add(target);
      };
      for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', 'text/html', 'application/javascript', 'image/png', 'application/json5', 'text/json', 'json']) {
        await check(`content-type ${type}`, valid, { 'content-type': type }, { status: 415, code: 'unsupported_media_type' });
      }
      await check('a 5 MiB body', `{"pad":${q('x'.repeat(5 * 1024 * 1024))}}`, {}, { status: 413, code: 'payload_too_large' });
      await check('a 4 MiB + 1 byte body', ' '.repeat(4 * 1024 * 1024 + 1 - valid.length) + valid, {}, { status: 413, code: 'payload_too_large' });
      await check('base64 of garbage bytes', Buffer.from([0xff, 0xfe, 0x00, 0x7b, 0x22]).toString('latin1'), {}, { status: 400, code: 'invalid_json' }, 'encode');
      await check('isBase64Encoded on a body that is not base64', '{"user_id":"u","event":"page.viewed","transaction_id":"t"}', {}, { status: 400, code: 'invalid_json' }, 'flag-only');
    }, 30_000);
  }

  it('HTTP POST /events/batch: empty, 101-event, repeated-id, mixed and odd-shaped batches', async () => {
    const target = 'HTTP POST /events/batch';
    const one = (i: number, over: Record<string, string> = {}) => ev({ transaction_id: q(`tx_${i}`), ...over });
    const many = (n: number, at?: number, over?: Record<string, string>) => Array.from({ length: n }, (_, i) => one(i, i === at ? over : {})).join(',');
    const cases: Case[] = [
      { name: 'empty batch', raw: '{"events":[]}', field: 'events' },
      { name: '101 events', raw: `{"events":[${many(101)}]}`, field: 'events' },
      { name: '1,000 events', raw: `{"events":[${many(1000)}]}`, field: 'events' },
      { name: 'events is an object', raw: '{"events":{}}', field: 'events' },
      { name: 'events is a string', raw: '{"events":"x"}', field: 'events' },
      { name: 'events missing', raw: '{}', field: 'events' },
      { name: 'events null', raw: '{"events":null}', field: 'events' },
      { name: 'an extra top-level key', raw: `{"events":[${many(2)}],"extra":1}`, field: 'extra' },
      { name: 'Events with a capital E', raw: `{"Events":[${many(2)}]}`, field: 'Events' },
      { name: '__proto__ beside events', raw: `{"__proto__":{"polluted":"yes"},"events":[${many(2)}]}`, field: '__proto__' },
      { name: 'a null event', raw: '{"events":[null]}', field: 'events[0]' },
      { name: 'a number event', raw: `{"events":[${many(3)},1]}`, field: 'events[3]' },
      { name: 'repeated transaction id', raw: `{"events":[${one(0)},${one(1)},${one(2)},${one(1)}]}`, field: 'events[3].transaction_id', mentions: 'repeats events[1]' },
      { name: 'repeated transaction id, other payload', raw: `{"events":[${one(0)},${one(0, { event: q('lesson.finished') })}]}`, field: 'events[1].transaction_id' },
      { name: 'one bad event at index 57 of 100', raw: `{"events":[${many(100, 57, { user_id: '57' })}]}`, field: 'events[57].user_id' },
      { name: 'one reserved key at index 99 of 100', raw: `{"events":[${many(100, 99, { context: '{"XP":1}' })}]}`, field: 'events[99].context.XP' },
      { name: 'a batch as the body of /events/batch with a top-level array', raw: `[${many(2)}]`, field: '' },
      { name: 'one event without any transaction id (no Idempotency-Key)', raw: `{"events":[${obj({ user_id: q('u'), event: q('page.viewed') })}]}`, field: 'events[0].transaction_id' },
    ];
    for (const c of cases) await runCase(`${target} body`, c);
  });
});

// ---------------------------------------------------------------------------------------------
// Properties (fast-check, seeded)
// ---------------------------------------------------------------------------------------------

const safeKey = fc.stringMatching(/^[a-z][a-z0-9_]{0,8}$/).filter((k) => !reservedContextKeys.includes(k) && !['constructor', 'prototype'].includes(k));
const safeId = fc.stringMatching(/^[A-Za-z0-9_.:-]{1,40}$/);
const leaf = fc.oneof(fc.string({ maxLength: 20 }).map(q), fc.integer().map(String), fc.boolean().map(String), fc.constant('null'));
const baseContext = fc.dictionary(safeKey, leaf, { maxKeys: 4 });
const ctxText = (entries: Record<string, string>, extra: [string, string][] = []) =>
  `{${[...Object.entries(entries).filter(([k]) => !extra.some(([e]) => e === q(k))).map(([k, v]) => `${q(k)}:${v}`), ...extra.map(([k, v]) => `${k}:${v}`)].join(',')}}`;

interface Mutated {
  raw: string;
  want: Refusal;
}

const idField = fc.constantFrom('user_id', 'event', 'transaction_id');
const controlChar = fc.oneof(fc.integer({ min: 0, max: 0x1f }), fc.integer({ min: 0x7f, max: 0x9f })).map((c) => String.fromCharCode(c));
const blank = fc.array(fc.constantFrom(' ', '\t', '\n', '\r', '\u00a0', '\u2003', '\u3000', '\ufeff', '\u2028', '\u200b'), { minLength: 1, maxLength: 6 }).map((a) => a.join(''));
const nonString = fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null), fc.array(fc.integer(), { maxLength: 3 }), fc.dictionary(safeKey, fc.integer(), { maxKeys: 2 })).map((v) => JSON.stringify(v));
const surrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => `\\u${c.toString(16)}`);
const forbiddenKey = fc.constantFrom('__proto__', 'constructor', 'prototype', '\\u005f_proto__', 'construct\\u006fr');
const unescape = (k: string) => JSON.parse(`"${k}"`) as string;
const nonFinite = fc.constantFrom('1e999', '-1e999', '1e309', '-2e400', '1.7976931348623159e308');
const badDate = fc.oneof(
  fc.tuple(fc.integer({ min: 1970, max: 2100 }), fc.integer({ min: 13, max: 99 })).map(([y, m]) => `${y}-${m}-01T00:00:00Z`),
  fc.tuple(fc.integer({ min: 1970, max: 2100 }), fc.integer({ min: 1, max: 12 })).map(([y, m]) => `${y}-${String(m).padStart(2, '0')}-${new Date(Date.UTC(y, m, 0)).getUTCDate() + 1}T00:00:00Z`),
  fc.integer({ min: 24, max: 99 }).map((hh) => `2026-11-25T${hh}:00:00Z`),
  fc.integer({ min: 60, max: 99 }).map((mm) => `2026-11-25T12:${mm}:00Z`),
  fc.integer({ min: 24, max: 99 }).map((oh) => `2026-11-25T12:00:00+${oh}:00`),
  fc.date({ min: new Date(0), max: new Date(Date.UTC(2100, 0)), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 19)), // no zone
  fc.string({ maxLength: 30 }).filter((s) => !/^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}/.test(s)),
);

function eventMutation(): fc.Arbitrary<{ fields: Record<string, string>; want: Refusal }> {
  return fc.oneof(
    // A reserved key in any case.
    fc.tuple(fc.constantFrom(...reservedContextKeys).chain((k) => fc.mixedCase(fc.constant(k))), baseContext, leaf).map(([key, context, value]) => ({
      fields: { context: ctxText(context, [[q(key), value]]) },
      want: { field: `context.${key}` },
    })),
    // A non-string id.
    fc.tuple(idField, nonString).map(([field, value]) => ({ fields: { [field]: value }, want: { field } })),
    // A control character inside an id.
    fc.tuple(idField, safeId, controlChar, safeId).map(([field, a, c, b]) => ({ fields: { [field]: q(a + c + b) }, want: { field } })),
    // A lone surrogate inside an id (as raw JSON).
    fc.tuple(idField, safeId, surrogate).map(([field, a, s]) => ({ fields: { [field]: `"${a}${s}"` }, want: { field } })),
    // A blank id.
    fc.tuple(idField, blank).map(([field, b]) => ({ fields: { [field]: q(b) }, want: { field } })),
    // An id over its byte limit (multi-byte characters count in UTF-8 bytes).
    fc.tuple(idField, fc.integer({ min: 257, max: 600 }), fc.constantFrom('x', 'é', '€', '😀')).map(([field, n, ch]) => ({ fields: { [field]: q(ch.repeat(Math.ceil(n / Buffer.byteLength(ch)))) }, want: { field } })),
    // A forbidden key at some depth of context (objects and arrays on the way).
    fc.tuple(fc.array(fc.oneof(safeKey, fc.constant(0)), { maxLength: 5 }), forbiddenKey, baseContext).map(([path, key, context]) => {
      let inner = `{"${key}":{"polluted":"yes"}}`;
      let field = '';
      for (const step of [...path].reverse()) inner = step === 0 ? `[${inner}]` : `{${q(step)}:${inner}}`;
      for (const step of path) field += step === 0 ? '[0]' : `.${step}`;
      const first = path[0];
      // At the top of context, the forbidden key (or the first step) sits beside the base keys.
      const raw = first === undefined ? ctxText(context, [[`"${key}"`, '{"polluted":"yes"}']]) : first === 0 ? ctxText(context, [['"list"', inner]]) : ctxText(context, [[q(first), inner.slice(inner.indexOf(':') + 1, -1)]]);
      const path0 = first === 0 ? `.list${field}` : field;
      return { fields: { context: raw }, want: { field: `context${path0}.${unescape(key)}` } };
    }),
    // Nested more than 8 levels.
    fc.tuple(fc.integer({ min: 8, max: 60 }), fc.constantFrom<'object' | 'array' | 'mixed'>('object', 'array', 'mixed')).map(([levels, kind]) => ({
      fields: { context: `{"deep":${nest(levels, '1', kind)}}` },
      want: { fieldPrefix: 'context.deep', mentions: 'nested more than 8' },
    })),
    // A non-finite number (1e999 parses to Infinity).
    fc.tuple(safeKey, nonFinite, fc.boolean()).map(([key, n, inArray]) => ({
      fields: { context: inArray ? `{${q(key)}:[0,${n}]}` : `{${q(key)}:${n}}` },
      want: { field: `context.${key}${inArray ? '[1]' : ''}` },
    })),
    // A bad occurred_at.
    fc.oneof(badDate.map(q), nonString).map((d) => ({ fields: { occurred_at: d }, want: { field: 'occurred_at' } })),
    // An unknown top-level field.
    fc.string({ minLength: 1, maxLength: 20 }).filter((k) => !['user_id', 'event', 'transaction_id', 'context', 'occurred_at'].includes(k)).map((k) => ({
      fields: { [q(k)]: '1' },
      want: { field: k },
    })),
    // context over 32 KiB, or not an object.
    fc.integer({ min: 33 * 1024, max: 80 * 1024 }).map((n) => ({ fields: { context: `{"blob":${q('y'.repeat(n))}}` }, want: { field: 'context', mentions: 'bytes' } })),
    fc.constantFrom('[]', '"x"', '5', 'null', 'true', '[{"a":1}]').map((v) => ({ fields: { context: v }, want: { field: 'context' } })),
  );
}

const validEvent = fc.record({ user: safeId, name: safeId, tx: safeId, context: baseContext });
const eventText = (base: { user: string; name: string; tx: string; context: Record<string, string> }, fields: Record<string, string>) => {
  const f: Fields = { user_id: q(base.user), event: q(base.name), transaction_id: q(base.tx), context: ctxText(base.context) };
  for (const [k, v] of Object.entries(fields)) f[k] = v;
  return obj(f);
};
const mutatedEvent: fc.Arbitrary<Mutated> = fc.tuple(validEvent, eventMutation()).map(([base, m]) => ({ raw: eventText(base, m.fields), want: m.want }));

/** Random text bodies: strings of any code points, random JSON, and JSON with random keys. */
const randomBody = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 120 }),
  fc.json({ maxDepth: 3 }),
  fc.string({ unit: 'binary-ascii', maxLength: 60 }),
  fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 5 }).map((o) => JSON.stringify(o)),
);
const plain = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

async function property<T>(target: string, arb: fc.Arbitrary<T>, run: (value: T) => Promise<void>, numRuns = RUNS) {
  await fc.assert(
    fc.asyncProperty(arb, async (value) => {
      h.emulator.reset();
      await run(value);
      expectNothingSent(target);
      counter.add(`${target} (property)`);
    }),
    { seed: SEED, numRuns, endOnFailure: true },
  );
}

describe('properties (fast-check, seeded)', () => {
  it('random bodies are refused by every route and record parser', async () => {
    // Skip the rare random body that is a well-formed payload (a random object with exactly the right keys).
    const eventish = (raw: string) => {
      const v = parseJson(raw)?.value;
      return plain(v) && 'user_id' in v && 'event' in v;
    };
    const identifyish = (raw: string) => {
      const v = parseJson(raw)?.value;
      return plain(v) && 'user_id' in v;
    };
    const streamOk = (raw: string) => {
      if (raw.trim() === '') return true;
      const v = parseJson(raw)?.value;
      if (v === '') return true; // "" is read as no body: {}
      return plain(v) && Object.keys(v).every((k) => k === 'user_id') && (v.user_id === undefined || v.user_id === STREAM_USER);
    };
    const lenient = (target: string, refusalOf: (raw: string) => Refusal, skip: (raw: string) => boolean) =>
      property(target, randomBody, async (raw) => {
        fc.pre(!skip(raw));
        const c: Case = { name: `random body ${JSON.stringify(raw.slice(0, 80))}`, raw, ...refusalOf(raw) };
        await targets[target]!(c);
      });
    const anyRefusal = (): Refusal => ({});
    await lenient('HTTP POST /events', anyRefusal, eventish);
    await lenient('HTTP POST /events/batch', anyRefusal, eventish);
    await lenient('HTTP POST /identify', anyRefusal, identifyish);
    await lenient('HTTP POST /stream-token', anyRefusal, streamOk);
    // Records: a non-JSON body is "not JSON" (SQS) / a string detail (EventBridge); JSON is refused as a payload.
    const rec = (kind: 'sqs' | 'eventbridge') => (raw: string): Refusal => (isJson(raw) ? {} : recordRefusal({ name: '', raw, code: 'invalid_json' }, kind));
    await lenient('SQS → batch', rec('sqs'), eventish);
    await lenient('SQS → identify', rec('sqs'), identifyish);
    await lenient('EventBridge → emit', rec('eventbridge'), eventish);
    await lenient('EventBridge → identify', rec('eventbridge'), identifyish);
  }, 120_000);

  it('a valid event with one hostile mutation is refused naming the field (HTTP, batch, SQS, EventBridge)', async () => {
    for (const target of ['HTTP POST /events', 'HTTP POST /events/batch', 'SQS → batch', 'EventBridge → emit']) {
      await property(target, mutatedEvent, async ({ raw, want }) => {
        await targets[target]!({ name: `mutated event ${raw.slice(0, 160)}`, raw, ...want });
      });
    }
  }, 120_000);

  it('batches of 1–100 events with one hostile event, empty or over 100, or a repeated id', async () => {
    const target = 'HTTP POST /events/batch';
    const batchCase = fc.oneof(
      fc.tuple(fc.array(validEvent, { minLength: 1, maxLength: 100 }), fc.nat(), eventMutation()).map(([events, at, m]) => {
        const i = at % events.length;
        const texts = events.map((e, j) => eventText({ ...e, tx: `${e.tx}_${j}` }, j === i ? m.fields : {}));
        return { raw: `{"events":[${texts.join(',')}]}`, want: naming(m.want, inBatch(i)) };
      }),
      fc.constantFrom(0, 101, 102, 150, 500).chain((n) =>
        validEvent.map((e) => ({ raw: `{"events":[${Array.from({ length: n }, (_, j) => eventText({ ...e, tx: `${e.tx}_${j}` }, {})).join(',')}]}`, want: { field: 'events' } as Refusal })),
      ),
      fc.tuple(fc.array(validEvent, { minLength: 2, maxLength: 100 }), fc.nat(), fc.nat()).map(([events, a, b]) => {
        const i = a % (events.length - 1);
        const j = i + 1 + (b % (events.length - 1 - i));
        const texts = events.map((e, k) => eventText({ ...e, tx: k === j ? `${events[i]!.tx}_${i}` : `${e.tx}_${k}` }, {}));
        return { raw: `{"events":[${texts.join(',')}]}`, want: { field: `events[${j}].transaction_id` } as Refusal };
      }),
    );
    await property(target, batchCase, async ({ raw, want }) => {
      expectHttpRefusal(await httpInvoke(h, 'batch', raw, emitHeaders), want, `batch ${raw.slice(0, 160)}`);
    });
  }, 120_000);

  it('identify payloads with a hostile user_id or traits are refused naming the field (HTTP, SQS, EventBridge)', async () => {
    const traitsMutation = fc.oneof(
      fc.tuple(fc.array(safeKey, { maxLength: 4 }), forbiddenKey).map(([path, key]) => {
        let inner = `{"${key}":{"polluted":"yes"}}`;
        for (const step of [...path].reverse()) inner = `{${q(step)}:${inner}}`;
        return { fields: { traits: inner }, want: { field: `traits${path.map((p) => `.${p}`).join('')}.${unescape(key)}` } as Refusal };
      }),
      fc.tuple(safeKey, nonFinite).map(([k, n]) => ({ fields: { traits: `{${q(k)}:${n}}` }, want: { field: `traits.${k}` } as Refusal })),
      fc.integer({ min: 8, max: 60 }).map((levels) => ({ fields: { traits: `{"deep":${nest(levels, '1', 'mixed')}}` }, want: { fieldPrefix: 'traits.deep', mentions: 'nested more than 8' } as Refusal })),
      fc.constantFrom('[]', '"x"', '5', 'null', 'true').map((v) => ({ fields: { traits: v }, want: { field: 'traits' } as Refusal })),
      fc.integer({ min: 33 * 1024, max: 80 * 1024 }).map((n) => ({ fields: { traits: `{"bio":${q('z'.repeat(n))}}` }, want: { field: 'traits', mentions: 'bytes' } as Refusal })),
      fc.oneof(nonString, fc.tuple(safeId, controlChar).map(([a, c]) => q(a + c)), fc.tuple(safeId, surrogate).map(([a, s]) => `"${a}${s}"`), blank.map(q)).map((v) => ({ fields: { user_id: v }, want: { field: 'user_id' } as Refusal })),
      fc.string({ minLength: 1, maxLength: 20 }).filter((k) => k !== 'user_id' && k !== 'traits').map((k) => ({ fields: { [q(k)]: '1' }, want: { field: k } as Refusal })),
    );
    const identifyCase = fc.tuple(safeId, baseContext, traitsMutation).map(([user, traits, m]) => ({ raw: obj({ user_id: q(user), traits: ctxText(traits), ...m.fields }), want: m.want }));
    for (const target of ['HTTP POST /identify', 'SQS → identify', 'EventBridge → identify']) {
      await property(target, identifyCase, async ({ raw, want }) => {
        await targets[target]!({ name: `identify ${raw.slice(0, 160)}`, raw, ...want });
      });
    }
  }, 120_000);

  it('stream-token bodies naming another user or an unknown field get 403 / 400', async () => {
    const other = fc.oneof(fc.string({ unit: 'binary', maxLength: 40 }).filter((s) => s !== STREAM_USER).map(q), nonString);
    const streamCase = fc.oneof(
      other.map((v) => ({ raw: obj({ user_id: v }), want: { status: 403, code: 'forbidden' } as Refusal })),
      fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }).filter((k) => k !== 'user_id'), fc.jsonValue({ maxDepth: 1 }), { minKeys: 1, maxKeys: 4 }).map((o) => {
        const raw = JSON.stringify(o);
        const first = Object.keys(JSON.parse(raw) as object).find((k) => k !== 'user_id')!;
        return { raw, want: { status: 400, field: first } as Refusal };
      }),
    );
    await property('HTTP POST /stream-token', streamCase, async ({ raw, want }) => {
      expectHttpRefusal(await httpInvoke(h, 'stream-token', raw, streamHeaders), want, `stream-token ${raw.slice(0, 160)}`);
    });
  }, 60_000);
});

describe('controls', () => {
  it('the harness sees a request when a valid payload is sent (so "no request" above means something)', async () => {
    h.emulator.reset();
    const res = await httpInvoke(h, 'emit', ev({}), emitHeaders);
    expect(res.statusCode).toBe(200);
    expect(h.requests()).toBe(1);
  });

  it('odd but valid Unicode in ids (RTL and zero-width marks, combining characters, emoji) is sent byte-exact, never mangled', async () => {
    // Not hostile by the rules: an id is refused for control characters, lone surrogates, or for being
    // blank (whitespace and invisible format characters only), but these marks sit beside visible
    // characters, so they are accepted; what must hold is that they reach Perkamo unchanged and answer 200, not 5xx.
    const ids = ['user\u200fRTL', 'a\u202eevil\u202c', 'zero\u200bwidth', 'join\u200d\u200c', 'e\u0301', '🐎horse', 'ﷺ', '\u061cmark'];
    for (const [i, id] of ids.entries()) {
      h.emulator.reset();
      const res = await httpInvoke(h, 'emit', ev({ user_id: q(id), transaction_id: q(`odd_${i}_${id}`) }), emitHeaders);
      expect(res.statusCode, id).toBe(200);
      expect(h.emulator.ledger().events.map((e) => [e.user_id, e.transaction_id]), id).toEqual([[id, `odd_${i}_${id}`]]);
      counter.add('odd-but-valid Unicode (accepted)');
    }
  });
});

describe('field names that look like replacement patterns', () => {
  // PerkamoValidationError.within() once passed the new field name to String#replaceAll as a string, so
  // `$'`, `$&`, `$$` in a key garbled the batch message and `$'` amplified it (a 3.8 MB body answered
  // 150 MB). The message must name the key as sent and stay about the size of the request.
  it("names a key made of `$'` as sent, in a message about the size of the request", async () => {
    h.emulator.reset();
    const key = "$'".repeat(2_000);
    const raw = `{"events":[${ev({ [q(key)]: '1' })}]}`;
    const res = await httpInvoke(h, 'batch', raw, emitHeaders);
    expect(res.statusCode).toBe(400);
    expect(h.requests()).toBe(0);
    const { error } = JSON.parse(res.body) as { error: { field: string; message: string } };
    expect(error.field).toBe(`events[0].${key}`);
    expect(res.body.length).toBeLessThan(3 * raw.length);
    expect(error.message).toContain(`'events[0].${key}'`);
  });
});
