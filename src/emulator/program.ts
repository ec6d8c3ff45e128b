import { readFile } from 'node:fs/promises';
import { assertIdentifier, isPlainObject, limits } from '../core/index.ts';
import { compileFormula, FormulaSyntaxError, roundHalfAwayFromZero, type CompiledFormula } from './formula.ts';
import defaultProgramJson from './default-program.json' with { type: 'json' };

/**
 * The program file (see README.md, "Program file"). Unknown extra fields are allowed and are
 * returned unchanged by `GET /v1/program`.
 */
export interface ProgramDefinition {
  id?: string;
  name?: string;
  version?: number | string;
  description?: string;
  wallets: WalletDefinition[];
  levels?: LevelsDefinition | null;
  perks?: PerkDefinition[];
  blueprint: { earningRules: EarningRuleDefinition[]; [key: string]: unknown };
  [key: string]: unknown;
}

export interface WalletDefinition {
  key: string;
  name?: string;
  /** Awards to this wallet are rounded to this many decimals (half away from zero); default 0. */
  decimals?: number;
}

export interface LevelsDefinition {
  /** The wallet whose balance decides the level. */
  wallet: string;
  /** Level 1 starts at the first entry (which must be `at: 0`), level 2 at the second, … */
  ladder: { at: number; name?: string }[];
}

export type PerkUnlock = { event: string } | { wallet: string; atLeast: number };

export interface PerkDefinition {
  key: string;
  name: string;
  description?: string;
  unlock: PerkUnlock;
}

export type RewardDefinition = { wallet: string; amount: number } | { wallet: string; formula: string };

export interface EarningRuleDefinition {
  event: string;
  title: string;
  description?: string;
  reward: RewardDefinition | RewardDefinition[];
  [key: string]: unknown;
}

export interface CompiledReward {
  event: string;
  title: string;
  wallet: string;
  amount?: number;
  formula?: CompiledFormula;
}

export interface CompiledPerk {
  key: string;
  name: string;
  event?: string;
  wallet?: string;
  atLeast?: number;
}

export interface CompiledProgram {
  definition: ProgramDefinition;
  /** `GET /v1/program` body, serialized once. */
  json: string;
  wallets: { key: string; name: string; decimals: number }[];
  walletKeys: string[];
  levels: { wallet: string; thresholds: number[] } | null;
  perks: CompiledPerk[];
  perkByKey: Map<string, CompiledPerk>;
  rewardsByEvent: Map<string, CompiledReward[]>;
  perksByEvent: Map<string, CompiledPerk[]>;
  thresholdPerks: CompiledPerk[];
}

/** A program that cannot be loaded; the message names the offending field. */
export class ProgramError extends Error {
  override readonly name = 'ProgramError';
}

export const defaultProgram = defaultProgramJson as unknown as ProgramDefinition;

const keyPattern = /^[a-z0-9][a-z0-9_.:-]{0,63}$/i;

/** Loads a program from an object, a JSON file path, or (undefined) the shipped default. */
export async function loadProgram(source?: ProgramDefinition | string): Promise<CompiledProgram> {
  if (source === undefined) return compileProgram(defaultProgram);
  if (typeof source === 'string') {
    let text: string;
    try {
      text = await readFile(source, 'utf8');
    } catch (error) {
      throw new ProgramError(`cannot read the program file ${source}: ${(error as Error).message}`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new ProgramError(`the program file ${source} is not valid JSON: ${(error as Error).message}`);
    }
    return compileProgram(parsed, source);
  }
  return compileProgram(source);
}

/** Validates a program definition and compiles its formulas; throws a ProgramError naming the field. */
export function compileProgram(input: unknown, origin = 'program'): CompiledProgram {
  function fail(path: string, message: string): never {
    throw new ProgramError(`${origin}: ${path} ${message}`);
  }
  if (!isPlainObject(input)) fail('(root)', 'must be a JSON object');
  const definition = structuredClone(input) as unknown as ProgramDefinition;

  if (!Array.isArray(definition.wallets) || definition.wallets.length === 0) {
    fail('wallets', 'must be a non-empty list of { key, name?, decimals? }');
  }
  const wallets: CompiledProgram['wallets'] = [];
  definition.wallets.forEach((wallet, i) => {
    const path = `wallets[${i}]`;
    if (!isPlainObject(wallet)) fail(path, 'must be an object');
    if (typeof wallet.key !== 'string' || !keyPattern.test(wallet.key)) {
      fail(`${path}.key`, 'must be 1–64 letters, digits or _ . : -');
    }
    if (wallets.some((w) => w.key === wallet.key)) fail(`${path}.key`, `repeats the wallet '${wallet.key}'`);
    const decimals = wallet.decimals ?? 0;
    if (!Number.isInteger(decimals) || decimals < 0 || decimals > 6) fail(`${path}.decimals`, 'must be an integer 0–6');
    wallets.push({ key: wallet.key, name: typeof wallet.name === 'string' ? wallet.name : wallet.key, decimals });
  });
  const walletKeys = wallets.map((w) => w.key);
  const assertWallet = (value: unknown, path: string): string => {
    if (typeof value !== 'string' || !walletKeys.includes(value)) {
      return fail(path, `must name a declared wallet (${walletKeys.join(', ')}), got ${JSON.stringify(value)}`);
    }
    return value;
  };
  const assertEvent = (value: unknown, path: string): string => {
    try {
      assertIdentifier(value, path, limits.eventBytes);
    } catch (error) {
      fail(path, `is not a valid event name: ${(error as Error).message}`);
    }
    return value as string;
  };

  let levels: CompiledProgram['levels'] = null;
  if (definition.levels !== undefined && definition.levels !== null) {
    const l = definition.levels;
    if (!isPlainObject(l)) fail('levels', 'must be an object { wallet, ladder } or null');
    const wallet = assertWallet(l.wallet, 'levels.wallet');
    if (!Array.isArray(l.ladder) || l.ladder.length === 0) fail('levels.ladder', 'must be a non-empty list of { at, name? }');
    const thresholds = l.ladder.map((step, i) => {
      if (!isPlainObject(step) || typeof step.at !== 'number' || !Number.isFinite(step.at)) {
        fail(`levels.ladder[${i}].at`, 'must be a finite number');
      }
      return step.at;
    });
    if (thresholds[0] !== 0) fail('levels.ladder[0].at', 'must be 0 (level 1 starts at a zero balance)');
    thresholds.forEach((at, i) => {
      if (i > 0 && at <= (thresholds[i - 1] as number)) fail(`levels.ladder[${i}].at`, 'must be greater than the previous step');
    });
    levels = { wallet, thresholds };
  }

  const perks: CompiledPerk[] = [];
  const perkDefinitions = definition.perks ?? [];
  if (!Array.isArray(perkDefinitions)) fail('perks', 'must be a list');
  perkDefinitions.forEach((perk, i) => {
    const path = `perks[${i}]`;
    if (!isPlainObject(perk)) fail(path, 'must be an object');
    if (typeof perk.key !== 'string' || !keyPattern.test(perk.key)) fail(`${path}.key`, 'must be 1–64 letters, digits or _ . : -');
    if (perks.some((p) => p.key === perk.key)) fail(`${path}.key`, `repeats the perk '${perk.key}'`);
    if (typeof perk.name !== 'string' || perk.name.trim() === '') fail(`${path}.name`, 'must be a non-empty string');
    const unlock = perk.unlock as Record<string, unknown> | undefined;
    if (!isPlainObject(unlock)) fail(`${path}.unlock`, 'must be { event } or { wallet, atLeast }');
    if (unlock.event !== undefined) {
      perks.push({ key: perk.key, name: perk.name, event: assertEvent(unlock.event, `${path}.unlock.event`) });
    } else {
      const wallet = assertWallet(unlock.wallet, `${path}.unlock.wallet`);
      if (typeof unlock.atLeast !== 'number' || !Number.isFinite(unlock.atLeast)) {
        fail(`${path}.unlock.atLeast`, 'must be a finite number');
      }
      perks.push({ key: perk.key, name: perk.name, wallet, atLeast: unlock.atLeast as number });
    }
  });

  if (!isPlainObject(definition.blueprint)) fail('blueprint', 'must be an object { earningRules: [...] }');
  const rules = definition.blueprint.earningRules;
  if (!Array.isArray(rules)) fail('blueprint.earningRules', 'must be a list of { event, title, reward }');
  const rewardsByEvent = new Map<string, CompiledReward[]>();
  rules.forEach((rule, i) => {
    const path = `blueprint.earningRules[${i}]`;
    if (!isPlainObject(rule)) fail(path, 'must be an object');
    const event = assertEvent(rule.event, `${path}.event`);
    if (typeof rule.title !== 'string' || rule.title.trim() === '') fail(`${path}.title`, 'must be a non-empty string');
    const list = Array.isArray(rule.reward) ? rule.reward : [rule.reward];
    if (list.length === 0) fail(`${path}.reward`, 'must not be an empty list');
    list.forEach((reward: unknown, j) => {
      const rpath = Array.isArray(rule.reward) ? `${path}.reward[${j}]` : `${path}.reward`;
      if (!isPlainObject(reward)) return fail(rpath, 'must be { wallet, amount } or { wallet, formula }');
      const wallet = assertWallet(reward.wallet, `${rpath}.wallet`);
      const compiled: CompiledReward = { event, title: rule.title, wallet };
      if ((reward.amount === undefined) === (reward.formula === undefined)) {
        fail(rpath, 'must have exactly one of amount or formula');
      }
      if (reward.amount !== undefined) {
        if (typeof reward.amount !== 'number' || !Number.isFinite(reward.amount) || reward.amount < 0) {
          fail(`${rpath}.amount`, 'must be a finite number ≥ 0 (earning rules never take away)');
        }
        compiled.amount = reward.amount as number;
      } else {
        if (typeof reward.formula !== 'string') return fail(`${rpath}.formula`, 'must be a string');
        try {
          compiled.formula = compileFormula(reward.formula);
        } catch (error) {
          if (error instanceof FormulaSyntaxError) fail(`${rpath}.formula`, `is refused: ${error.message}`);
          throw error;
        }
      }
      const existing = rewardsByEvent.get(event);
      if (existing) existing.push(compiled);
      else rewardsByEvent.set(event, [compiled]);
    });
  });

  const perksByEvent = new Map<string, CompiledPerk[]>();
  for (const perk of perks) {
    if (perk.event === undefined) continue;
    const existing = perksByEvent.get(perk.event);
    if (existing) existing.push(perk);
    else perksByEvent.set(perk.event, [perk]);
  }

  return {
    definition,
    json: JSON.stringify(definition),
    wallets,
    walletKeys,
    levels,
    perks,
    perkByKey: new Map(perks.map((p) => [p.key, p])),
    rewardsByEvent,
    perksByEvent,
    thresholdPerks: perks.filter((p) => p.wallet !== undefined),
  };
}

export interface RewardOutcome {
  wallet: string;
  amount: number;
  /** Set when a formula could not be evaluated: the reward then awards nothing. */
  skipped?: string;
}

/**
 * The awards of one event: every reward of every rule for that event, formulas evaluated on the
 * context, negative results clamped to 0, rounded to the wallet's decimals.
 */
export function evaluateRewards(program: CompiledProgram, event: string, context: Record<string, unknown>): RewardOutcome[] {
  const rewards = program.rewardsByEvent.get(event);
  if (!rewards) return [];
  const out: RewardOutcome[] = [];
  for (const reward of rewards) {
    const decimals = program.wallets.find((w) => w.key === reward.wallet)?.decimals ?? 0;
    if (reward.formula) {
      const result = reward.formula.evaluate(context);
      if (!result.ok) {
        out.push({ wallet: reward.wallet, amount: 0, skipped: `${reward.title}: ${result.message} (${result.reason})` });
        continue;
      }
      out.push({ wallet: reward.wallet, amount: roundHalfAwayFromZero(Math.max(0, result.value), decimals) });
    } else {
      out.push({ wallet: reward.wallet, amount: roundHalfAwayFromZero(reward.amount ?? 0, decimals) });
    }
  }
  return out;
}

/**
 * The documented level object, as the API sends it. The emulator stands in for Perkamo and owns
 * its wire shapes; test/emulator/client.test.ts reads them back through the SDK's types.
 */
export interface LevelState {
  wallet: string;
  level: number;
  current: number;
  currentLevelAt: number;
  nextLevelAt: number | null;
  progress: number;
}

/** The documented level object for a balance; null when the program has no ladder. */
export function levelFor(program: CompiledProgram, wallets: Readonly<Record<string, number>>): LevelState | null {
  if (!program.levels) return null;
  const { wallet, thresholds } = program.levels;
  const current = wallets[wallet] ?? 0;
  let index = 0;
  while (index + 1 < thresholds.length && (thresholds[index + 1] as number) <= current) index++;
  const currentLevelAt = thresholds[index] as number;
  const nextLevelAt = thresholds[index + 1] ?? null;
  const progress =
    nextLevelAt === null ? 1 : Math.min(1, Math.max(0, (current - currentLevelAt) / (nextLevelAt - currentLevelAt)));
  return { wallet, level: index + 1, current, currentLevelAt, nextLevelAt, progress };
}
