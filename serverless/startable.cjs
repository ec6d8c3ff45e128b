'use strict';
// Local osls plugin: refuses to package (and so to deploy) functions that could not start.
//
// Each function checks its configuration at cold start and throws LambdaConfigurationError when
// it cannot serve (no way to authenticate HTTP callers, no browser key for stream-token, a bad
// URL…). Deployed like that, every invocation fails at init, and nothing said so before. Here the
// same check — `loadFunctionConfig` from the built library, the very code the functions run, not a
// copy of its rules — runs on the environment each function is about to be deployed with, before
// anything is packaged; every problem is listed once, with the serverless.yml parameter that sets
// the variable. Values the functions read at run time (the secret itself) are not checked here.

const { existsSync } = require('node:fs');
const { join } = require('node:path');
const { pathToFileURL } = require('node:url');
// Each function's own variables are made by functions.cjs, which knows their parameters.
const { parameterOfVariable } = require('./functions.cjs');

const HANDLER = /^dist\/functions\/([^/]+)\/index\.handler$/;
const PARAM = /^\$\{param:([A-Za-z0-9]+)\}$/;

class Startable {
  constructor(serverless, _options, utils) {
    this.serverless = serverless;
    this.log = utils?.log;
    this.hooks = {
      'before:package:initialize': () => this.check(),
    };
  }

  async check() {
    const library = join(this.serverless.serviceDir, 'dist/lib/lambda.mjs');
    if (!existsSync(library)) throw this.error('dist/lib/lambda.mjs is missing: run `npm run build` before packaging (`npm run package` does both)');
    const { functionNames, functions, loadFunctionConfig } = await import(pathToFileURL(library).href);
    const service = this.serverless.service;
    // The configuration as written (osls resolves variables in place): which ${param:…} sets a variable.
    const input = this.serverless.utils.readFileSync(join(this.serverless.serviceDir, this.serverless.configurationFilename ?? 'serverless.yml')) ?? {};
    // The stage of this run (--stage), not the configuration's default.
    const stage = this.serverless.getProvider('aws').getStage();

    // Each problem once, under the functions that have it (the auth ones: every function).
    const holders = new Map();
    for (const [key, fn] of Object.entries(service.functions ?? {})) {
      const name = HANDLER.exec(fn.handler ?? '')?.[1];
      const definition = functions.find((fn) => fn.name === name);
      if (!definition) throw this.error(`function "${key}": its handler ${fn.handler} is none of the built functions (${functionNames.join(', ')})`);
      const environment = { ...service.provider.environment, ...fn.environment };
      const env = Object.fromEntries(Object.entries(environment).map(([k, v]) => [k, v === undefined || v === null ? undefined : String(v)]));
      let problems = [];
      try {
        loadFunctionConfig(definition, env);
      } catch (error) {
        if (!Array.isArray(error?.problems)) throw error;
        const parameterOf = (variable) => {
          const raw = input.provider?.environment?.[variable];
          return (typeof raw === 'string' ? PARAM.exec(raw)?.[1] : undefined) ?? parameterOfVariable(variable);
        };
        problems = error.problems.map((problem) => {
          const parameter = parameterOf(problem.split(':')[0]);
          return parameter ? `${problem} [parameter ${parameter}]` : problem;
        });
      }
      for (const problem of problems) holders.set(problem, [...(holders.get(problem) ?? []), name]);
    }
    if (holders.size === 0) return;
    const groups = new Map();
    for (const [problem, names] of holders) {
      const who = names.length === Object.keys(service.functions).length ? 'every function' : names.join(', ');
      groups.set(who, [...(groups.get(who) ?? []), problem]);
    }
    const lines = [`These functions could not start with the parameters of stage "${stage}", so nothing was packaged:`];
    for (const [who, problems] of groups) lines.push(`  ${who}:`, ...problems.map((problem) => `    - ${problem}`));
    if (lines.some((line) => line.endsWith('[parameter authJwksUrl]'))) {
      lines.push(
        'HTTP callers: set authJwksUrl, authIssuer and authAudience (the functions verify the tokens), or jwtIssuer and jwtAudience (API Gateway\'s JWT authorizer verifies them).',
      );
    }
    lines.push(`Set the parameters under params.${stage} in serverless.yml, or with --param 'name=value' (every one: docs/deploy.md).`);
    throw this.error(lines.join('\n'));
  }

  error(message) {
    const ServerlessError = this.serverless.classes?.Error ?? Error;
    const error = new ServerlessError(message, 'PERKAMO_FUNCTIONS_CANNOT_START');
    // osls prints a plain Error's stack: keep it to the message.
    error.stack = message;
    return error;
  }
}

module.exports = Startable;
