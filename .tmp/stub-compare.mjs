// Ad hoc: our code per SQS record (instant stub, untraced), several batch bundles interleaved.
import { spawnSync } from 'node:child_process';
const roots = process.argv.slice(3);
const rounds = Number(process.argv[2]);
const job = JSON.stringify({ kind: 'stub', records: 1000, warmup: 5, count: 30, run: 'x', timeoutMs: 120000 });
const out = roots.map(() => []);
for (let r = 0; r < rounds; r++) {
  const order = roots.map((_, i) => i); for (let k = 0; k < r % roots.length; k++) order.push(order.shift());
  for (const i of order) {
    const env = { PATH: process.env.PATH, AWS_LAMBDA_FUNCTION_NAME: 'batch', AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '1024', AWS_REGION: 'eu-central-1', LAMBDA_TASK_ROOT: roots[i], _HANDLER: 'index.handler',
      PERKAMO_BASE_URL: 'http://127.0.0.1:9', PERKAMO_SECRET_KEY: 'sk_test_emulator', PERKAMO_BROWSER_KEY: 'pk_test_emulator', PERKAMO_CONCURRENCY: '4', AUTH_TRUST_API_GATEWAY: 'true', LOG_LEVEL: 'info', PERKAMO_METRICS: 'true', OTEL_TRACES_EXPORTER: 'none' };
    const p = spawnSync(process.execPath, ['bench/lib/worker.mjs', job], { env, encoding: 'utf8' });
    const line = p.stdout.split('\n').find((l) => l.startsWith('@result '));
    if (!line) { console.error(p.stderr.slice(-2000)); process.exit(1); }
    out[i].push(JSON.parse(line.slice(8)).usPerRecord);
  }
}
const med = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
roots.forEach((root, i) => console.log(root.padEnd(40), 'median', med(out[i]).toFixed(2), 'min', Math.min(...out[i]).toFixed(2), out[i].map((x) => x.toFixed(1)).join(' ')));
