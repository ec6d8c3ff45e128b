'use strict';
// The parameters' names and values that settings.cjs would otherwise take silently: a name that is
// not a parameter (a typo on the command line or under params.<stage> deploys the default), and a
// placeholder copied from the docs (`browserKey=pk_live_…`).

/** The closest known name, when one is close (a case slip or a letter or two): ` — did you mean x?`. */
function didYouMean(name, known) {
  const distance = (a, b) => {
    let row = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
      const next = [i];
      for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      row = next;
    }
    return row[b.length];
  };
  const scored = known.map((k) => [k, k.toLowerCase() === name.toLowerCase() ? 0 : distance(k.toLowerCase(), name.toLowerCase())]).sort((x, y) => x[1] - y[1]);
  return scored[0] && scored[0][1] <= Math.max(2, Math.floor(name.length / 4)) ? ` — did you mean ${scored[0][0]}?` : '';
}

/**
 * [name, message] for each given name that is not a parameter and each value that is a placeholder.
 * Every parameter there is has a default in params.default of serverless.yml.
 */
async function unknownAndPlaceholders({ options, resolveConfigurationProperty, raw, stage }) {
  const found = [];
  const known = Object.keys((await resolveConfigurationProperty(['params', 'default'])) ?? {});
  const given = [
    ...[].concat(options?.param ?? []).map((pair) => String(pair).split('=')[0].trim()),
    ...Object.keys((await resolveConfigurationProperty(['params', stage])) ?? {}),
  ];
  for (const name of new Set(given)) {
    if (!known.includes(name)) found.push([name, `is not a parameter of this service${didYouMean(name, known)} (the parameters: serverless.yml's params.default, docs/deploy.md)`]);
  }
  for (const name of known) {
    const value = await raw(name);
    if (typeof value === 'string' && /…|\.\.\./.test(value)) found.push([name, `${JSON.stringify(value)} is a placeholder from the docs: put the real value there`]);
  }
  return found;
}

module.exports = { didYouMean, unknownAndPlaceholders };
