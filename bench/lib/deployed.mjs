// The functions as serverless.yml deploys them, for the cold starts under the loopback Lambda
// harness (dist/harness/index.mjs, built from dev/harness): packaging, the official
// OpenTelemetry way attached as its layer attaches it, a JWKS issuer for the bearer tokens the
// deployed functions verify, and the CPU time of an environment's runtime process.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { root } from './procs.mjs';

/**
 * `serverless package` with `params`: the harness's packageFunctions (osls, offline, in a service
 * folder of its own, so this run and a test packaging at the same time do not collide).
 */
export function packageDeployed(harness, params) {
  return harness.packageFunctions({ root, params });
}

/**
 * The official way's exec wrapper, written next to its init bundle: as the opentelemetry-lambda
 * Node layer's `otel-handler` does, it adds `--import <init>` to NODE_OPTIONS and execs the runtime's
 * command. The deployed environment with AWS_LAMBDA_EXEC_WRAPPER pointing at it is baseline (b).
 */
export async function writeOfficialWrapper(officialInit) {
  const wrapper = join(officialInit, '..', 'otel-handler');
  await writeFile(
    wrapper,
    [
      '#!/bin/bash',
      '# AWS_LAMBDA_EXEC_WRAPPER of the benchmark\'s baseline (b), written by bench/lib/deployed.mjs.',
      `export NODE_OPTIONS="\${NODE_OPTIONS:+\${NODE_OPTIONS} }--import ${officialInit}"`,
      'exec "$@"',
      '',
    ].join('\n'),
  );
  await chmod(wrapper, 0o755);
  return wrapper;
}

/**
 * An RS256 issuer on loopback: `url` serves its JWKS (what AUTH_JWKS_URL names), `mint(sub)` signs
 * a token for `issuer` and `audience` that the deployed functions accept.
 */
export async function startJwksIssuer({ issuer, audience }) {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'bench', alg: 'RS256', use: 'sig' }] });
  const server = http.createServer((req, res) => {
    if (req.url === '/jwks') res.writeHead(200, { 'content-type': 'application/json' }).end(jwks);
    else res.writeHead(404).end();
  });
  await new Promise((ready) => server.listen(0, '127.0.0.1', ready));
  return {
    url: `http://127.0.0.1:${server.address().port}/jwks`,
    mint: (sub, scope = '') =>
      new SignJWT({ scope })
        .setProtectedHeader({ alg: 'RS256', kid: 'bench', typ: 'JWT' })
        .setIssuer(issuer)
        .setAudience(audience)
        .setSubject(sub)
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(privateKey),
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

/**
 * Lambda's Extensions API, as far as the layer's init uses it: register answers 200 with an
 * identifier; `event/next` is held (the measured process exits while it waits).
 */
export async function startExtensionsApiStub() {
  const held = new Set();
  const seen = { registrations: 0, nextAt: undefined };
  const server = http.createServer((req, res) => {
    req.resume();
    if (req.method === 'POST' && req.url === '/2020-01-01/extension/register') {
      seen.registrations++;
      res.writeHead(200, { 'content-type': 'application/json', 'lambda-extension-identifier': randomUUID() }).end('{}');
    } else if (req.method === 'GET' && req.url === '/2020-01-01/extension/event/next') {
      // Epoch ms, comparable with another process's performance.timeOrigin + performance.now().
      seen.nextAt = performance.timeOrigin + performance.now();
      held.add(res);
    } else res.writeHead(404).end();
  });
  await new Promise((ready) => server.listen(0, '127.0.0.1', ready));
  return {
    address: `127.0.0.1:${server.address().port}`,
    /** Registrations so far, and when the last `event/next` came (epoch ms). */
    seen,
    close: () => {
      for (const res of held) res.destroy();
      server.closeAllConnections();
      server.close();
    },
  };
}

let ticksPerSecond;
/**
 * CPU time (user + system, every thread) a process has used so far, in ms, from /proc/<pid>/stat
 * (clock ticks: 10 ms each at the usual 100 Hz); undefined where it cannot be read.
 */
export async function processCpuMs(pid) {
  if (!pid) return undefined;
  try {
    ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // After the command name (in brackets, which may hold spaces): state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond;
  } catch {
    return undefined;
  }
}
