// The README's runnable JavaScript examples: every ```js block, with the heading it stands under,
// and what each must print (so that a wrong answer fails as surely as a crash). test/readme.test.ts
// runs them in this repository, test/package-install.test.ts in a project that installed the package.
import { readFileSync } from 'node:fs';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

export const readmeExamples: [heading: string, code: string][] = [...readme.matchAll(/^#{2,3} (.+)$|^```js\n([\s\S]*?)^```$/gm)].reduce<{
  heading: string;
  blocks: [string, string][];
}>((acc, m) => (m[1] ? { ...acc, heading: m[1] } : { ...acc, blocks: [...acc.blocks, [acc.heading, m[2]!]] }), { heading: '', blocks: [] }).blocks;

export const expectedOutput: Record<string, RegExp[]> = {
  'Emit, batch, identify, read': [/^true false \[/m, /request id: req_/, /duplicate: true/, /^1 batch result\(s\)/m, /purchase\.completed/],
  Errors: [/not sent: context\.wallet/, /^404 customer_not_found req_/m],
  'Browser and stream tokens': [/^Bearer 120$/m, /^points \d+ xp (\d+)\n(?:.*\n)*points \d+ xp (?!\1\b)\d+$/m],
};
