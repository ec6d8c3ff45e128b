/**
 * `npm run token -- <user> [scopes…]`: prints a dev JWT the local functions accept (HS256 with the
 * dev secret, issuer and audience of dev/stack/dev-config.ts; default scopes perkamo:emit
 * perkamo:identify; valid 1 h). Only the token goes to stdout, so `$(npm run -s token -- alice)` works.
 */
import { devDefaultScopes, mintDevToken } from '../stack/dev-config.ts';

const [user, ...scopes] = process.argv.slice(2);
if (!user || user === '-h' || user === '--help') {
  process.stderr.write(
    'usage: npm run -s token -- <user> [scopes…]\n' +
      `  prints a 1 h dev JWT for the local stack (default scopes: ${devDefaultScopes.join(' ')})\n` +
      '  e.g. curl … -H "authorization: Bearer $(npm run -s token -- backend)"\n',
  );
  process.exit(user ? 0 : 2);
}
process.stdout.write(`${await mintDevToken(user, scopes.length > 0 ? scopes : devDefaultScopes)}\n`);
