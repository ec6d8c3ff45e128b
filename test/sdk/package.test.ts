import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sdkVersion } from '../../src/sdk/index.ts';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));

describe('the package', () => {
  it('sends the package version in user-agent', () => {
    expect(sdkVersion).toBe(pkg.version);
  });

  // `npm test` builds first; this imports the built entry points by package name, as a user would.
  it.each(['core', 'sdk'])('perkamo-lambda/%s resolves after the build and exports its API', (entry) => {
    const out = execFileSync(
      process.execPath,
      ['--input-type=module', '-e', `const m = await import('perkamo-lambda/${entry}'); console.log(JSON.stringify(Object.keys(m).sort()))`],
      { cwd: new URL('../..', import.meta.url), encoding: 'utf8' },
    );
    const names: string[] = JSON.parse(out);
    expect(names).toEqual(expect.arrayContaining(['assertSafeEventInput', 'canonicalJson', 'createTransactionId', 'signRequest']));
    if (entry === 'sdk') expect(names).toEqual(expect.arrayContaining(['createPerkamoClient', 'PerkamoApiError', 'responseMeta']));
  });

  it("the published types show only the calls on PerkamoCalls and the client: no symbol-keyed member (where the calls go stays the client's)", () => {
    const types = readFileSync(new URL('../../dist/types/sdk/client.d.ts', import.meta.url), 'utf8');
    expect(types).toMatch(/export declare function createPerkamoCalls/);
    expect(types).not.toMatch(/unique symbol|\[\w+\]\s*:/);
  });

  // A marked event skips the client's checks: a caller that could mark one could change it after (core/validation.ts).
  it.each(['core', 'sdk', 'lambda'])('perkamo-lambda/%s exports no way to mark an event checked', (entry) => {
    const out = execFileSync(
      process.execPath,
      ['--input-type=module', '-e', `const m = await import('perkamo-lambda/${entry}'); console.log(JSON.stringify(Object.keys(m)))`],
      { cwd: new URL('../..', import.meta.url), encoding: 'utf8' },
    );
    const names: string[] = JSON.parse(out);
    expect(names).toContain(entry === 'lambda' ? 'batchFunction' : 'toBatchEvents');
    expect(names.filter((name) => /checked|mark/i.test(name))).toEqual([]);
  });
});
