// npm start's check of PERKAMO_* variables: a likely typo is named with the variable it resembles;
// variables another command of the project reads are left alone.
import { describe, expect, it } from 'vitest';
import { unknownVariableWarnings } from '../../dev/stack/env-check.ts';

describe('unknownVariableWarnings', () => {
  it('names a typo with the closest known variable, and an unrelated name without a guess', () => {
    expect(unknownVariableWarnings({ PERKAMO_LOCAL_PROT: '3001', PERKAMO_SECRT_KEY: 'x', PERKAMO_WHATEVER_ELSE: '1' })).toEqual([
      'PERKAMO_LOCAL_PROT is set but nothing reads it; did you mean PERKAMO_LOCAL_PORT?',
      'PERKAMO_SECRT_KEY is set but nothing reads it; did you mean PERKAMO_SECRET_KEY?',
      'PERKAMO_WHATEVER_ELSE is set but nothing reads it',
    ]);
  });

  it('knows the functions\' variables, npm start\'s, the layer\'s, the tests\' and the emulator command\'s', () => {
    expect(
      unknownVariableWarnings({
        PERKAMO_SECRET_KEY: 'x',
        PERKAMO_METRICS_NAMESPACE: 'x',
        PERKAMO_LOCAL_PORT: '3000',
        PERKAMO_LOCAL_SQS_URL: 'x',
        PERKAMO_OTEL_FLUSH: 'in-invocation',
        PERKAMO_NODE24: '/usr/bin/node',
        PERKAMO_EMULATOR_PORT: '4001',
        PATH: '/usr/bin',
      }),
    ).toEqual([]);
  });
});
