// Ad hoc: the emit function's Init Duration under the harness, variants interleaved.
import { resolve } from 'node:path';
const harness = await import('/work/main/dist/harness/index.mjs');
const { startEmulator, defaultKeys } = await import('/work/main/dist/lib/emulator.mjs');
const emulator = await startEmulator({ port: 0 });
const node = await harness.lambdaNode(Number(process.env.NODE_MAJOR ?? 24));
const layer = resolve('dist/layers/otel');
const fn = process.env.FN ?? 'emit';
const base = {
  PERKAMO_BASE_URL: emulator.url, PERKAMO_SECRET_KEY: defaultKeys.server[0], PERKAMO_BROWSER_KEY: defaultKeys.browser[0],
  AUTH_JWKS_URL: 'http://127.0.0.1:9/jwks', AUTH_ISSUER: 'https://issuer.example/', AUTH_AUDIENCE: 'aud', LOG_LEVEL: 'info', PERKAMO_METRICS: 'true',
  OTEL_SERVICE_NAME: 'x', OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9',
};
const variants = {
  untraced: {},
  wrapper: { AWS_LAMBDA_EXEC_WRAPPER: `${layer}/perkamo-otel-handler` },
  nodeOptions: { NODE_OPTIONS: `--import ${layer}/otel-init.mjs` },
  ...(process.env.EXTRA ? JSON.parse(process.env.EXTRA) : {}),
};
const runs = Number(process.env.RUNS ?? 10);
const out = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
const event = { source: 'bench', 'detail-type': 'x', id: '', detail: { user_id: 'u1', event: 'purchase.completed', context: {} } };
for (let r = 0; r < runs; r++) {
  const keys = Object.keys(variants); for (let k = 0; k < r % keys.length; k++) keys.push(keys.shift());
  for (const key of keys) {
    const env = await harness.startFunction({ node, taskRoot: resolve(`dist/functions/${fn}`), memoryMb: 256, timeoutSeconds: 10, env: { ...base, ...variants[key] } });
    const result = await env.invoke({ user_id: `u${r}`, event: 'purchase.completed', transaction_id: `tx-${r}-${key}`, context: {} });
    if (!result.ok) throw new Error(`${key}: ${JSON.stringify(result).slice(0, 500)}`);
    out[key].push(result.initDurationMs);
    await env.shutdown();
  }
}
const med = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
for (const [k, v] of Object.entries(out)) console.log(k.padEnd(14), 'median', med(v).toFixed(1), 'paired over untraced', med(v.map((x, i) => x - out.untraced[i])).toFixed(1), '|', v.map((x) => x.toFixed(0)).join(' '));
await emulator.close();
