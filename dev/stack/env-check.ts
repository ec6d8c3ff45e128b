/**
 * Variables that look like ours but that nothing reads: `PERKAMO_LOCAL_PROT=3001 npm start` would
 * otherwise start on 3000 without a word. Each unknown `PERKAMO_*` variable is named, with the
 * closest known one when it is a likely typo.
 */
import { configVariableNames } from '../../src/lambda/config/index.ts';
import { logLevels } from '../../src/lambda/logger.ts';
import { devLogLevel } from './dev-config.ts';

/**
 * LOG_LEVEL checked before the stack starts, in one line: otherwise each function refuses it at its
 * cold start, with a FATAL line and a stack trace. scripts/start.mjs says the same before the build.
 */
export function logLevelProblem(env: Record<string, string | undefined>): string | undefined {
  const value = env.LOG_LEVEL;
  if (value === undefined || value.trim() === '' || (logLevels as readonly string[]).includes(value.trim().toLowerCase())) return undefined;
  return `LOG_LEVEL is ${JSON.stringify(value)}, not a log level: set one of ${logLevels.join(', ')} (any case), or unset it for npm start's default (${devLogLevel})`;
}

/**
 * What the project's other commands and the layer read besides the functions' configuration: a
 * shell set up for one of them must not be warned about at `npm start`.
 */
export const localVariableNames = [
  'PERKAMO_LOCAL_PORT',
  'PERKAMO_LOCAL_EMULATOR_PORT',
  'PERKAMO_LOCAL_SQS_PORT',
  'PERKAMO_LOCAL_SQS_URL',
  'PERKAMO_LOCAL_VISIBILITY_TIMEOUT',
  'PERKAMO_OTEL_FLUSH',
  'PERKAMO_NODE22',
  'PERKAMO_NODE24',
] as const;

/** `npm run emulator`'s variables (src/emulator/cli.ts). */
const emulatorVariable = /^PERKAMO_EMULATOR_[A-Z_]+$/;

/** Edit distance (insertions, deletions, substitutions, adjacent swaps). */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/** One line per `PERKAMO_*` variable of `env` that nothing reads, with a "did you mean" when one is close. */
export function unknownVariableWarnings(env: Record<string, string | undefined>, known: readonly string[] = [...configVariableNames(), ...localVariableNames]): string[] {
  const names = known.filter((name) => name.startsWith('PERKAMO_'));
  return Object.keys(env)
    .filter((name) => name.startsWith('PERKAMO_') && !names.includes(name) && !emulatorVariable.test(name))
    .sort()
    .map((name) => {
      const [closest] = names.map((k) => ({ k, d: distance(name, k) })).sort((x, y) => x.d - y.d);
      const hint = closest && closest.d <= Math.max(2, Math.floor(closest.k.length / 6)) ? `; did you mean ${closest.k}?` : '';
      return `${name} is set but nothing reads it${hint}`;
    });
}
