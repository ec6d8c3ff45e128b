'use strict';
// What the files of serverless/ must match in osls itself: how it names resources, and how it
// prints an error a variable resolver throws.

/** osls's normalized name, as in its logical ids: `stream-token` → `StreamDashtoken`. */
function normalizedName(name) {
  return (name.charAt(0).toUpperCase() + name.slice(1)).replace(/-/g, 'Dash').replace(/_/g, 'Underscore');
}

/** osls's logical id of a function: `stream-token` → `StreamDashtokenLambdaFunction`. */
const functionId = (name) => `${normalizedName(name)}LambdaFunction`;

/** An error for a variable resolver: osls prints its `stack`, so the stack is the message alone. */
function resolverError(message) {
  const error = new Error(message);
  error.stack = message;
  return error;
}

/**
 * Ends the command on a parameter problem, printed as it is. Thrown from a variable resolver, the
 * message would reach the user under three layers of osls's own text ("Cannot resolve
 * serverless.yml: Variables resolution errored with: - Cannot resolve variable at … Returned JS
 * function errored with: …"), once for every property that reads the resolver. Variables resolve
 * before osls writes anything, so exiting here leaves nothing behind.
 */
function refuse(message) {
  process.stderr.write(`\n${message}\n\n`);
  process.exit(1);
}

/** The commands that build the template or run the functions from it: only these stop on a parameter problem. */
const templateCommands = new Set(['package', 'deploy', 'deploy function', 'invoke local']);
const warned = new Set();

/**
 * Parameter problems: refused for the commands that build the template or run the functions; any
 * other command (remove, info, print, logs) goes on with them printed once as a warning — a stage
 * whose parameters went stale must still be removable, and `print` shows what they resolved to.
 */
function refuseParameters(problems, { stage, fix } = {}) {
  // osls parsed the command line already; its parse is cached for everyone who asks.
  const { command } = require('osls/lib/cli/resolve-input')();
  const where = stage ? ` (stage "${stage}")` : '';
  const list = [...problems.map((line) => `  - ${line}`), ...(fix ? [fix] : [])];
  if (templateCommands.has(command)) refuse([`serverless.yml parameters refused${where}, nothing done:`, ...list].join('\n'));
  const message = [`serverless.yml parameters with problems${where}; \`serverless ${command}\` goes on, package and deploy would stop:`, ...list].join('\n');
  if (warned.has(message)) return;
  warned.add(message);
  process.stderr.write(`\n${message}\n\n`);
}

module.exports = { functionId, normalizedName, refuse, refuseParameters, resolverError };
