// CORS_ALLOWED_ORIGINS for the browser functions (stream-token, customer); the cors middleware uses them.

import { quote } from '../../core/text.ts';

/** Exact, normalised origins (lower-case host, default port and a trailing `/` dropped), as browsers send `Origin`. */
export function readCorsOrigins(raw: string | undefined, problems: string[]): string[] {
  if (raw === undefined) return [];
  const out: string[] = [];
  for (const entry of raw.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    if (entry === '*') {
      problems.push(
        'CORS_ALLOWED_ORIGINS: "*" is refused: it would let any website call stream-token from your users\' browsers and read the token; ' +
          'list the exact origins of your web app, e.g. https://app.example.com,http://localhost:3000',
      );
      continue;
    }
    if (entry.includes('*')) {
      problems.push(`CORS_ALLOWED_ORIGINS: ${quote(entry)} has a wildcard; wildcards are not supported, list each origin exactly (e.g. https://app.example.com)`);
      continue;
    }
    const origin = exactOrigin(entry);
    if (!origin) {
      problems.push(`CORS_ALLOWED_ORIGINS: ${quote(entry)} is not an origin; write scheme://host[:port] with no path, query or credentials, e.g. https://app.example.com`);
      continue;
    }
    if (!out.includes(origin)) out.push(origin);
  }
  return out;
}

function exactOrigin(entry: string): string | undefined {
  let url: URL;
  try {
    url = new URL(entry);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
  if (url.username || url.password || url.search || url.hash || url.pathname !== '/') return undefined;
  // `new URL` turns `https://a.com?` or `https://a.com#` into the bare origin; refuse those as well.
  if (/[?#]/.test(entry)) return undefined;
  return url.origin;
}
