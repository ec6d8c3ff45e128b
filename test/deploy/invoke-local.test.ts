// `npx serverless invoke local --stage local -f <name> -p events/<file>.json` for every sample event,
// as docs/deploy.md gives it: osls loads the built handler (through dist/functions/<name>/index.cjs),
// with the environment serverless.yml resolves for the `local` stage, the server key and the JWT
// secret from the shell, against the emulator. The samples' `<JWT: npm run token -- <user>>` is
// replaced by a real token, as a user pastes `npm run token` output.
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../src/emulator/index.ts';
import { offlinePackageEnv } from '../../dev/harness/deployed.ts';
import { devJwtSecret, mintDevToken } from '../../dev/stack/dev-config.ts';
import { projectRoot } from '../harness/deployed-stack.ts';

const run = promisify(execFile);
const events = join(projectRoot, 'events');
// In the order that leaves customer_123 existing before the customer samples read it.
const samples = readdirSync(events).filter((f) => f.endsWith('.json')).sort();

let emulator: Emulator;
let dir = '';
beforeAll(async () => {
  emulator = await startEmulator({ quiet: true });
  dir = mkdtempSync(join(tmpdir(), 'perkamo-invoke-local-'));
});
afterAll(async () => {
  await emulator.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('serverless invoke local --stage local, every file in events/', () => {
  it.each(samples)('%s', async (file) => {
    const name = file.replace(/-(http|sqs|eventbridge|direct)\.json$/, '');
    let text = readFileSync(join(events, file), 'utf8');
    const placeholder = /<JWT: npm run token -- ([\w-]+)>/.exec(text);
    if (placeholder) text = text.replace(placeholder[0], await mintDevToken(placeholder[1]!));
    const event = join(dir, file);
    writeFileSync(event, text);
    const { stdout } = await run(
      join(projectRoot, 'node_modules/.bin/serverless'),
      ['invoke', 'local', '--stage', 'local', '-f', name, '-p', event, '--param', `perkamoBaseUrl=${emulator.url}`],
      {
        cwd: projectRoot,
        env: {
          ...offlinePackageEnv(),
          PERKAMO_SECRET_KEY: emulator.keys.server[0]!,
          AUTH_JWT_SECRET: devJwtSecret,
        },
        timeout: 60_000,
      },
    );
    // osls prints the function's log lines, then the answer as indented JSON.
    const answer = JSON.parse(stdout.slice(stdout.search(/^[{[]$/m)));
    if (file.endsWith('-http.json')) expect(answer.statusCode, stdout).toBe(200);
    else if (file.endsWith('-sqs.json')) expect(answer).toEqual({ batchItemFailures: [] });
    else expect(answer, stdout).not.toHaveProperty('errorMessage');
  }, 60_000);
});

describe('the README and docs/deploy.md give the invoke-local commands this file runs', () => {
  it.each(['README.md', 'docs/deploy.md'])('%s: the exports and the command, as written', (doc) => {
    const text = readFileSync(join(projectRoot, doc), 'utf8');
    const command = 'npx serverless invoke local --stage local -f emit -p events/emit-direct.json';
    expect(text).toContain(command);
    // The last export before the command is the one a reader runs with it.
    const exported = [...text.slice(0, text.indexOf(command)).matchAll(/^export (.+)$/gm)].at(-1)?.[1];
    expect(exported, `${doc}: an export line before the invoke-local command`).toBeDefined();
    const variables = Object.fromEntries(exported!.split(/\s+/).map((pair) => pair.split('=') as [string, string]));
    // The values the test above passes: the emulator's server key and the local stack's dev secret.
    expect(variables).toEqual({ PERKAMO_SECRET_KEY: emulator.keys.server[0], AUTH_JWT_SECRET: devJwtSecret });
  });
});
