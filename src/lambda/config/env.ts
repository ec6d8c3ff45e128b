// Reading the function's environment: one reader every owner of a setting uses, collecting every
// problem (one LambdaConfigurationError lists them all, one per line, each naming the variable and
// the fix).
//
// Decisions (the README's config table is built from these):
// - A variable that is unset, empty or only whitespace counts as unset (serverless.yml's
//   `${env:X, ''}` yields empty strings). Values are trimmed.
// - Values of PERKAMO_SECRET_KEY, AUTH_JWT_SECRET and PERKAMO_BROWSER_KEY are never quoted; other
//   values are quoted (shortened) to help.
// - Booleans accept true/false/1/0 (any case); anything else is a problem, never silently false.
// - Integers are plain decimal digits; `1e3`, `2.5`, `+4` are problems.

import { quote } from '../../core/text.ts';
import { keepClassNames } from '../../core/errors.ts';
import { PerkamoConfigurationError } from '../../sdk/index.ts';

/** The function's environment is wrong; `problems` holds one line per problem. */
export class LambdaConfigurationError extends PerkamoConfigurationError {
  override readonly name: string = 'LambdaConfigurationError';
  /** The message's lines, one per problem. Not enumerable: printed errors show the message once. */
  declare readonly problems: string[];

  constructor(problems: string[]) {
    super(
      `Invalid function configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` +
        problems.map((p) => `- ${p}`).join('\n'),
    );
    Object.defineProperty(this, 'problems', { value: problems, enumerable: false });
  }
}
keepClassNames({ LambdaConfigurationError });

export type Env = Record<string, string | undefined>;

/** Reads variables and collects problems; `fail()` throws them all at once. */
export class EnvReader {
  readonly problems: string[] = [];
  /** Every variable asked for: what this configuration reads (`configVariableNames`). */
  readonly names = new Set<string>();

  constructor(private readonly env: Env) {}

  get(name: string): string | undefined {
    this.names.add(name);
    const value = this.env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  }

  int(name: string, fallback: number, min: number, max: number, unit: string): number {
    const raw = this.get(name);
    if (raw === undefined) return fallback;
    const value = /^\d{1,15}$/.test(raw) ? Number(raw) : NaN;
    if (!(value >= min && value <= max)) {
      this.problem(`${name}: ${quote(raw)} is not a whole number of ${unit} from ${min} to ${max}; set e.g. ${name}=${fallback}, or unset it for the default (${fallback})`);
      return fallback;
    }
    return value;
  }

  bool(name: string, fallback = false): boolean {
    const raw = this.get(name);
    if (raw === undefined) return fallback;
    const lower = raw.toLowerCase();
    if (lower === 'true' || lower === '1') return true;
    if (lower === 'false' || lower === '0') return false;
    this.problem(`${name}: ${quote(raw)} is not a boolean; set true or false (or unset it for ${fallback})`);
    return fallback;
  }

  /** One of `choices` (any case), else the default and a problem naming them. */
  choice<T extends string>(name: string, choices: readonly T[], fallback: T, what: string, how = `one of ${choices.join(', ')}`): T {
    const raw = this.get(name);
    if (raw === undefined) return fallback;
    const found = choices.find((c) => c === raw.toLowerCase());
    if (found) return found;
    this.problem(`${name}: ${quote(raw)} is not ${what}; set ${how} (default ${fallback})`);
    return fallback;
  }

  problem(line: string): void {
    this.problems.push(line);
  }

  /** Throws every problem found, if any. */
  fail(): void {
    if (this.problems.length > 0) throw new LambdaConfigurationError(this.problems);
  }
}

/** Why `value` is not a plain http(s) URL, or undefined. */
export function httpUrlProblem(value: string, allowQuery = false): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `${quote(value)} is not a URL`;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return `${quote(url.protocol)} is not http or https`;
  if (url.username || url.password) return 'the URL carries credentials';
  if (url.hash || (url.search && !allowQuery)) return `${quote(value)} has a ${allowQuery ? 'fragment' : 'query or fragment'}`;
  return undefined;
}

