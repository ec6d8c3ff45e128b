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

module.exports = { functionId, normalizedName, resolverError };
