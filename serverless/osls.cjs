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

module.exports = { functionId, normalizedName, refuse, resolverError };
