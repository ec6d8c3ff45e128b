// Every link in the repository's Markdown either goes to the web or to a file of this repository
// that exists — none leaves the clone (`../../../shared/…`), none is broken — and an anchor into a
// Markdown file names one of its headings.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../dev/stack/lambda.ts';

const root = projectRoot();
const skip = new Set(['node_modules', '.git', 'dist', '.serverless', '.build']);

function markdownFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    if (skip.has(name)) return [];
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return markdownFiles(path);
    return name.endsWith('.md') ? [path] : [];
  });
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
const slug = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[`*_]/g, '')
    .replace(/[^\p{L}\p{N} -]/gu, '')
    .replace(/ /g, '-');

function anchors(file: string): Set<string> {
  const text = readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '');
  return new Set([...text.matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1]!)));
}

/** Paths named in code spans (`src/lambda/runtime.ts`, `../shared/x.md`): Markdown and source files a reader would open. */
function mentionedPaths(text: string): string[] {
  const prose = text.replace(/```[\s\S]*?```/g, '');
  return [...prose.matchAll(/`((?:\.{1,2}\/)*[\w.-]+(?:\/[\w.-]+)+\.(?:md|ts|mjs|cjs|json|yml))`/g)].map((m) => m[1]!);
}

/** `[text](target)` outside code blocks and code spans. */
function links(text: string): string[] {
  const prose = text.replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');
  return [...prose.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((m) => m[1]!);
}

const files = markdownFiles(root);

describe('links in the docs', () => {
  it('finds the Markdown files', () => {
    expect(files.map((f) => relative(root, f))).toEqual(expect.arrayContaining(['README.md', 'src/emulator/README.md', 'layers/otel/README.md', 'docs/deploy.md']));
  });

  it.each(files.map((f) => relative(root, f)))('%s: every relative link stays in the repository and resolves', (file) => {
    const path = join(root, file);
    const problems: string[] = [];
    for (const link of links(readFileSync(path, 'utf8'))) {
      if (/^[a-z]+:/i.test(link)) continue; // https:, mailto:
      const [target, anchor] = link.split('#') as [string, string | undefined];
      const resolved = target === '' ? path : resolve(dirname(path), decodeURIComponent(target));
      if (relative(root, resolved).startsWith('..')) problems.push(`${link}: leaves the repository`);
      else if (!existsSync(resolved)) problems.push(`${link}: no such file`);
      else if (anchor && resolved.endsWith('.md') && !anchors(resolved).has(anchor)) problems.push(`${link}: no heading #${anchor}`);
    }
    // A path in a code span is read from the file's folder or from the repository root; built
    // output (dist/, .serverless/) exists only after a build.
    for (const mentioned of mentionedPaths(readFileSync(path, 'utf8'))) {
      if (/^(dist|\.serverless|bench\/\.build|node_modules)\//.test(mentioned)) continue;
      const candidates = [resolve(dirname(path), mentioned), resolve(root, mentioned)];
      if (candidates.every((c) => relative(root, c).startsWith('..'))) problems.push(`\`${mentioned}\`: leaves the repository`);
      else if (!candidates.some((c) => !relative(root, c).startsWith('..') && existsSync(c))) problems.push(`\`${mentioned}\`: no such file`);
    }
    expect(problems).toEqual([]);
  });
});
