import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../src/emulator/index.ts';
import { lambdaContext } from '../helpers/aws-events.ts';
import { functionNames } from '../../src/lambda/functions/index.ts';
import { functionEnv, loadFunction, sampleEvent, type Handler } from '../helpers/functions.ts';

const dir = new URL('../../events/', import.meta.url);
const samples = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();

let emulator: Emulator;
const fn: Record<string, Handler> = {};
beforeAll(async () => {
  emulator = await startEmulator({ quiet: true });
  for (const name of functionNames) {
    fn[name] = await loadFunction(name, functionEnv(emulator, { CORS_ALLOWED_ORIGINS: 'http://localhost:3000' }));
  }
});
afterAll(() => emulator.close());

describe('events/ samples invoke the built functions as they are', () => {
  it('covers every function × trigger', () => {
    expect(samples).toEqual([
      'batch-direct.json', 'batch-http.json', 'batch-sqs.json',
      'customer-direct.json', 'customer-http.json', // after batch-*: customer_123 exists
      'emit-direct.json', 'emit-eventbridge.json', 'emit-http.json',
      'identify-direct.json', 'identify-eventbridge.json', 'identify-http.json', 'identify-sqs.json',
      'program-direct.json', 'program-http.json',
      'stream-token-http.json',
    ]);
  });

  it.each(samples)('%s', async (file) => {
    const name = file.replace(/-(http|sqs|eventbridge|direct)\.json$/, '');
    const answer = await fn[name]!(await sampleEvent(file), lambdaContext());
    if (file.endsWith('-http.json')) expect(answer.statusCode).toBe(200);
    else if (file.endsWith('-sqs.json')) expect(answer).toEqual({ batchItemFailures: [] });
    else expect(answer).toBeTypeOf('object');
  });
});
