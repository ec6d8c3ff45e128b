// The cold start's debug line of the effective configuration: every setting a person checks a deploy
// by, every secret as its source and never its value.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/lambda/config/index.ts';
import { describeConfig } from '../../src/lambda/config/describe.ts';

const SERVER_KEY = 'sk_live_do_not_print_0123456789abcdef';
const JWT_SECRET = 'jwt-secret-do-not-print-0123456789abcdef-0123';
const BROWSER_KEY = 'pk_live_do_not_print_0123456789';

describe('describeConfig', () => {
  it('keys given in the environment: named as their variables, their values never written', () => {
    const config = loadConfig(
      {
        PERKAMO_SECRET_KEY: SERVER_KEY,
        AUTH_JWT_SECRET: JWT_SECRET,
        AUTH_ISSUER: 'https://issuer.example/',
        AUTH_AUDIENCE: 'perkamo',
        PERKAMO_BROWSER_KEY: BROWSER_KEY,
        PERKAMO_CONCURRENCY: '7',
      },
      { http: true, browserKey: true },
    );
    const line = JSON.stringify(describeConfig(config));
    for (const secret of [SERVER_KEY, JWT_SECRET, BROWSER_KEY]) expect(line).not.toContain(secret);
    expect(describeConfig(config)).toMatchObject({
      perkamo: { server_key: { source: 'PERKAMO_SECRET_KEY (the value itself, not shown)' }, browser_key: 'PERKAMO_BROWSER_KEY (set, not shown)' },
      auth: { mode: 'jwt', keys: 'AUTH_JWT_SECRET (set, not shown)', issuer: 'https://issuer.example/', audience: 'perkamo', algorithms: ['HS256'] },
      concurrency: 7,
    });
  });

  it('an SSM parameter and a JWKS URL: their names, the URL without its query', () => {
    const config = loadConfig({
      PERKAMO_SECRET_PARAMETER: '/perkamo/prod/secret-key',
      AUTH_JWKS_URL: 'https://login.example/jwks.json?token=abc123secret',
      AUTH_ISSUER: 'https://login.example/',
      AUTH_AUDIENCE: 'perkamo',
    });
    const described = describeConfig(config);
    expect(described).toMatchObject({ perkamo: { server_key: { source: 'ssm', parameter: '/perkamo/prod/secret-key' } }, auth: { keys: 'https://login.example/jwks.json?… (query not shown)' } });
    expect(JSON.stringify(described)).not.toContain('abc123secret');
  });
});
