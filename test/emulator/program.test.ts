import { afterEach, describe, expect, it } from 'vitest';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  compileFormula,
  compileProgram,
  defaultProgram,
  FormulaSyntaxError,
  parseFormula,
  ProgramError,
  type Emulator,
  type ProgramDefinition,
} from '../../src/emulator/index.ts';
import { call, event, start } from './helpers.ts';

const value = (source: string, context: Record<string, unknown> = {}) => {
  const result = compileFormula(source).evaluate(context);
  if (!result.ok) throw new Error(`${result.reason}: ${result.message}`);
  return result.value;
};

describe('formulas', () => {
  it('computes arithmetic with precedence, parentheses, unary minus and decimals', () => {
    expect(value('1 + 2 * 3')).toBe(7);
    expect(value('(1 + 2) * 3')).toBe(9);
    expect(value('10 - 4 - 3')).toBe(3);
    expect(value('100 / 10 / 5')).toBe(2);
    expect(value('-3 + 5')).toBe(2);
    expect(value('- -2')).toBe(2);
    expect(value('2 * -(3 + 1)')).toBe(-8);
    expect(value('+.5 + 1.25e1')).toBe(13);
  });

  it('reads {{paths}} from the context, including nested objects and array indexes', () => {
    expect(value('{{amount}} / 100', { amount: 12900 })).toBe(129);
    expect(value('{{ order.total }} * 2', { order: { total: 7 } })).toBe(14);
    expect(value('{{items.1.price}}', { items: [{ price: 1 }, { price: 4 }] })).toBe(4);
  });

  it('has min, max, floor, ceil, round (half away from zero) and abs', () => {
    expect(value('min({{a}}, 10, 3)', { a: 5 })).toBe(3);
    expect(value('max(1, {{a}})', { a: 5 })).toBe(5);
    expect(value('floor(12.9)')).toBe(12);
    expect(value('ceil(12.1)')).toBe(13);
    expect(value('round(2.5)')).toBe(3);
    expect(value('round(-2.5)')).toBe(-3);
    expect(value('abs(-4)')).toBe(4);
    expect(value('floor({{amount}} / 100)', { amount: 30099 })).toBe(300);
  });

  it('reports a missing input, a non-numeric input and division by zero instead of a number', () => {
    const f = compileFormula('{{amount}} / {{count}}');
    expect(f.variables).toEqual(['amount', 'count']);
    expect(f.evaluate({ count: 1 })).toMatchObject({ ok: false, reason: 'missing_input' });
    expect(f.evaluate({ amount: null, count: 1 })).toMatchObject({ ok: false, reason: 'missing_input' });
    expect(f.evaluate({ amount: '100', count: 1 })).toMatchObject({ ok: false, reason: 'non_numeric_input' });
    expect(f.evaluate({ amount: true, count: 1 })).toMatchObject({ ok: false, reason: 'non_numeric_input' });
    expect(f.evaluate({ amount: 1, count: 0 })).toMatchObject({ ok: false, reason: 'division_by_zero' });
    expect(compileFormula('1e308 * 10').evaluate({})).toMatchObject({ ok: false, reason: 'not_finite' });
    // Prototype members are not context values.
    expect(compileFormula('{{toString}}').evaluate({})).toMatchObject({ ok: false, reason: 'missing_input' });
  });

  it('refuses hostile or malformed formulas at parse time, never evaluating them', () => {
    const hostile = [
      'process.exit(1)',
      "constructor.constructor('return process')()",
      'this',
      '{{amount}}; require("fs")',
      '`${1}`',
      '{{__proto__.polluted}}',
      '{{constructor}}',
      '{{a[0]}}',
      'globalThis',
      'eval("1")',
      'Function("return 1")()',
      '1 +',
      '(1',
      '1)',
      'floor(1, 2)',
      'max()',
      '{{amount',
      '{{}}',
      '1 ** 2',
      '2 % 1',
      '1'.padEnd(501, ' '),
      `${'('.repeat(40)}1${')'.repeat(40)}`,
      `${'-'.repeat(40)}1`,
    ];
    for (const source of hostile) {
      expect(() => parseFormula(source), source).toThrow(FormulaSyntaxError);
    }
    try {
      parseFormula('{{amount}} * process');
    } catch (error) {
      expect((error as FormulaSyntaxError).position).toBe(13);
      expect((error as Error).message).toContain("unknown name 'process'");
    }
  });
});

const baseProgram = (): ProgramDefinition => structuredClone(defaultProgram);

describe('program loading', () => {
  it('refuses a hostile formula in the program at load, naming the rule', async () => {
    const program = baseProgram();
    program.blueprint.earningRules[0] = {
      event: 'purchase.completed',
      title: 'Evil',
      reward: { wallet: 'points', formula: "require('child_process').execSync('touch /tmp/pwned')" },
    };
    expect(() => compileProgram(program)).toThrow(ProgramError);
    expect(() => compileProgram(program)).toThrow(/blueprint\.earningRules\[0\]\.reward\.formula is refused: unknown name 'require'/);
    await expect(start({ program })).rejects.toThrow(ProgramError);
  });

  it('refuses inconsistent programs with a message naming the field', () => {
    const cases: [(p: ProgramDefinition) => void, RegExp][] = [
      [(p) => (p.wallets = []), /wallets must be a non-empty list/],
      [(p) => p.wallets.push({ key: 'points' }), /wallets\[2\]\.key repeats/],
      [(p) => ((p.blueprint.earningRules[1] as { reward: unknown }).reward = { wallet: 'gold', amount: 1 }), /earningRules\[1\]\.reward\.wallet must name a declared wallet/],
      [(p) => ((p.blueprint.earningRules[2] as { reward: unknown }).reward = { wallet: 'points', amount: -5 }), /amount must be a finite number ≥ 0/],
      [(p) => ((p.blueprint.earningRules[2] as { reward: unknown }).reward = { wallet: 'points', amount: 1, formula: '1' }), /exactly one of amount or formula/],
      [(p) => ((p.blueprint.earningRules[2] as { event: unknown }).event = ''), /earningRules\[2\]\.event is not a valid event name/],
      [(p) => ((p.levels as { ladder: unknown[] }).ladder = [{ at: 10 }]), /levels\.ladder\[0\]\.at must be 0/],
      [(p) => ((p.levels as { ladder: unknown[] }).ladder = [{ at: 0 }, { at: 100 }, { at: 50 }]), /ladder\[2\]\.at must be greater/],
      [(p) => ((p.perks as unknown[])[1] = { key: 'x', name: 'X', unlock: { wallet: 'points' } }), /perks\[1\]\.unlock\.atLeast/],
      [(p) => ((p as { blueprint: unknown }).blueprint = {}), /blueprint\.earningRules must be a list/],
    ];
    for (const [mutate, message] of cases) {
      const program = baseProgram();
      mutate(program);
      expect(() => compileProgram(program)).toThrow(message);
    }
    expect(() => compileProgram('nope')).toThrow(/must be a JSON object/);
  });

  it('loads the shipped default program', () => {
    const compiled = compileProgram(defaultProgram);
    expect(compiled.walletKeys).toEqual(['points', 'xp']);
    expect(compiled.levels?.thresholds).toEqual([0, 100, 250, 500, 1000, 2500]);
    expect([...compiled.rewardsByEvent.keys()]).toEqual(['purchase.completed', 'lesson.finished', 'user.registered', 'referral.completed', 'page.viewed']);
  });
});

describe('custom programs over HTTP', () => {
  let emu: Emulator | undefined;
  afterEach(async () => {
    await emu?.close();
    emu = undefined;
  });

  it('loads a program from a JSON file path, with decimals, capped formulas and no levels', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'perkamo-program-'));
    const file = join(dir, 'program.json');
    const program: ProgramDefinition = {
      wallets: [{ key: 'cashback', name: 'Cashback', decimals: 2 }, { key: 'stamps' }],
      levels: null,
      perks: [{ key: 'first_stamp', name: 'First stamp', unlock: { wallet: 'stamps', atLeast: 1 } }],
      blueprint: {
        earningRules: [
          {
            event: 'order.paid',
            title: 'Order paid',
            reward: [
              { wallet: 'cashback', formula: 'min({{total}} * 0.015, 50)' },
              { wallet: 'stamps', amount: 1 },
            ],
          },
          { event: 'order.refunded', title: 'Refund', reward: { wallet: 'cashback', formula: '-{{total}}' } },
          { event: 'order.split', title: 'Split', reward: { wallet: 'stamps', formula: '{{total}} / {{parts}}' } },
        ],
      },
    };
    await writeFile(file, JSON.stringify(program));
    emu = await start({ program: file });

    const paid = await call(emu, '/v1/events', { body: event('shopper', 'order.paid', 'o1', { total: 123.45 }) });
    expect(paid.body).toEqual({
      applied: true,
      duplicate: false,
      delta: [
        { wallet: 'cashback', amount: 1.85 },
        { wallet: 'stamps', amount: 1 },
      ],
      leveled_up: false,
      unlocked: [{ type: 'perk', key: 'first_stamp', name: 'First stamp' }],
      wallet_state: { cashback: 1.85, stamps: 1 },
      level: null,
    });
    const capped = await call(emu, '/v1/events', { body: event('shopper', 'order.paid', 'o2', { total: 100000 }) });
    expect(capped.body.delta[0]).toEqual({ wallet: 'cashback', amount: 50 });
    // Negative results are clamped to 0: earning rules never take away.
    const refund = await call(emu, '/v1/events', { body: event('shopper', 'order.refunded', 'o3', { total: 10 }) });
    expect(refund.body).toMatchObject({ applied: true, delta: [], wallet_state: { cashback: 51.85, stamps: 2 } });
    // Missing input and division by zero: the event is applied, the reward awards nothing, the ledger says why.
    const missing = await call(emu, '/v1/events', { body: event('shopper', 'order.paid', 'o4', { amount: 5 }) });
    expect(missing.body.delta).toEqual([{ wallet: 'stamps', amount: 1 }]);
    const byZero = await call(emu, '/v1/events', { body: event('shopper', 'order.split', 'o5', { total: 3, parts: 0 }) });
    expect(byZero.body).toMatchObject({ applied: true, delta: [] });
    const ledger = emu.ledger();
    expect(ledger.events.find((e) => e.transaction_id === 'o4')?.skipped).toEqual(['Order paid: context.total is missing (missing_input)']);
    expect(ledger.events.find((e) => e.transaction_id === 'o5')?.skipped).toEqual(['Split: division by zero (division_by_zero)']);
    const program2 = await call(emu, '/v1/program');
    expect(program2.body).toEqual(program);
    expect((await call(emu, '/v1/customer/shopper')).body.level).toBeNull();
  });

  it('refuses a program file that is not JSON', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'perkamo-program-'));
    const file = join(dir, 'broken.json');
    await writeFile(file, '{ nope');
    await expect(start({ program: file })).rejects.toThrow(/is not valid JSON/);
    await expect(start({ program: join(dir, 'missing.json') })).rejects.toThrow(/cannot read the program file/);
  });
});
