// The Perkamo server key's source: PERKAMO_SECRET_KEY, PERKAMO_SECRET_ARN or PERKAMO_SECRET_PARAMETER
// (secrets.ts reads it).

import { quote } from '../../core/text.ts';
import type { EnvReader } from './env.ts';

export type SecretSource =
  | { kind: 'env'; value: string }
  | { kind: 'secrets-manager'; arn: string }
  | { kind: 'ssm'; name: string };

const SM_ARN = /^arn:aws(?:-[a-z]+)*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$/;
const SM_NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;
const SSM_ARN = /^arn:aws(?:-[a-z]+)*:ssm:[a-z0-9-]+:\d{12}:parameter\/?[A-Za-z0-9_./-]+(?::[A-Za-z0-9_.-]{1,100})?$/;
const SSM_NAME = /^[A-Za-z0-9_./-]{1,2048}(?::[A-Za-z0-9_.-]{1,100})?$/;

/** Exactly one source, well-formed; undefined (and a problem) otherwise. */
export function readSecretSource(env: EnvReader): SecretSource | undefined {
  const key = env.get('PERKAMO_SECRET_KEY');
  const arn = env.get('PERKAMO_SECRET_ARN');
  const parameter = env.get('PERKAMO_SECRET_PARAMETER');
  const set = [
    key !== undefined && 'PERKAMO_SECRET_KEY',
    arn !== undefined && 'PERKAMO_SECRET_ARN',
    parameter !== undefined && 'PERKAMO_SECRET_PARAMETER',
  ].filter((n): n is string => n !== false);

  if (set.length === 0) {
    env.problem(
      'PERKAMO_SECRET_KEY: the Perkamo server key is not configured; set exactly one of PERKAMO_SECRET_KEY (the key itself), ' +
        'PERKAMO_SECRET_ARN (a Secrets Manager secret holding it) or PERKAMO_SECRET_PARAMETER (an SSM SecureString parameter holding it)',
    );
    return undefined;
  }
  if (set.length > 1) {
    env.problem(`${set.join(', ')}: ${set.length === 2 ? 'both are' : 'all are'} set, so it is unclear which server key to use; set exactly one of them`);
    return undefined;
  }
  if (key !== undefined) {
    if (key.startsWith('pk_')) {
      env.problem('PERKAMO_SECRET_KEY: holds a browser key (pk_…); set the server key (sk_…) from the Perkamo console, and put the browser key in PERKAMO_BROWSER_KEY');
      return undefined;
    }
    return { kind: 'env', value: key };
  }
  if (arn !== undefined) {
    if (SM_ARN.test(arn) || (!arn.startsWith('arn:') && SM_NAME.test(arn))) return { kind: 'secrets-manager', arn };
    const hint = SSM_ARN.test(arn) ? '; that is an SSM parameter ARN, so set it as PERKAMO_SECRET_PARAMETER instead' : '';
    env.problem(`PERKAMO_SECRET_ARN: ${quote(arn)} is neither a Secrets Manager ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>) nor a secret name (letters, digits and /_+=.@-)${hint}`);
    return undefined;
  }
  const name = parameter!;
  if (SSM_ARN.test(name) || (!name.startsWith('arn:') && SSM_NAME.test(name))) return { kind: 'ssm', name };
  const hint = SM_ARN.test(name) ? '; that is a Secrets Manager ARN, so set it as PERKAMO_SECRET_ARN instead' : '';
  env.problem(`PERKAMO_SECRET_PARAMETER: ${quote(name)} is neither an SSM parameter name (e.g. /perkamo/prod/secret-key) nor an SSM parameter ARN (arn:aws:ssm:<region>:<account>:parameter/<name>)${hint}`);
  return undefined;
}
