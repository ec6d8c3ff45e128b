// A smoke run of the benchmark (`node bench/run.mjs --quick`, tiny counts): it must complete and
// write a well-formed report to a temporary path, its cold starts measured under the real runtime
// client as deployed (serverless package, the loopback Lambda harness, Lambda's Node 24). It asserts
// nothing about the numbers — the benchmark never fails on a number — and never touches
// bench/RESULTS.md.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { functionNames, functionOf } from '../../src/lambda/functions/index.ts';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const results = join(root, 'bench/RESULTS.md');
const tmp = mkdtempSync(join(tmpdir(), 'perkamo-bench-'));
// Baseline bundles must lie inside the repository (node_modules resolves from them): a directory
// of this run's own, removed afterwards, so a concurrent `npm run bench` is not disturbed.
const buildDir = join(root, 'bench/.build', `smoke-${process.pid}`);

afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
  rmSync(buildDir, { recursive: true, force: true });
});

describe('npm run bench --quick', () => {
  it('completes and writes a well-formed report to the path given, leaving bench/RESULTS.md alone', async () => {
    // Without a built dist/, run.mjs says what is missing; a failed run rejects with its stderr.
    const before = existsSync(results) ? { text: readFileSync(results, 'utf8'), mtime: statSync(results).mtimeMs } : undefined;
    const out = join(tmp, 'RESULTS.md');
    const json = join(tmp, 'results.json');

    const { stdout, stderr } = await run(
      process.execPath,
      ['bench/run.mjs', '--quick', '--out', out, '--json', json, '--build-dir', buildDir],
      { cwd: root, timeout: 360_000, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, NODE_OPTIONS: '' } },
    );

    // Progress on stderr, the targets table on stdout.
    expect(stderr).toMatch(/cold start \d+\/\d+/);
    expect(stderr).toMatch(/emulator ingest/);
    expect(stdout).toContain('| figure | target | ours | baseline, same run | ratio | |');

    const markdown = readFileSync(out, 'utf8');
    const raw22 = JSON.parse(readFileSync(json, 'utf8')).lambda.node['22'] !== undefined;
    for (const heading of ['# Benchmark results', '## Targets', '## 1. Cold start', '## 1b. Warm responses as deployed', "## 1c. The layer's init, by part", '## 1d. Signed, gzipped exports (`traces=xray`)', '## 2. Warm overhead', '## 3. SQS throughput', '## 4. Memory', '## 5. Emulator ingest', '## Method']) {
      expect(markdown).toContain(heading);
    }
    // The targets table: a header, a separator, then one row per figure, each with six cells, a
    // measured figure of ours (a number: a missing measurement prints '–') and a verdict.
    const afterHeading = markdown.split('## Targets')[1]!.split('\n');
    const start = afterHeading.findIndex((line) => line.startsWith('|'));
    const end = afterHeading.findIndex((line, i) => i > start && !line.startsWith('|'));
    const table = afterHeading.slice(start, end);
    // 24 rows; 25 with the Node 22 cold start, when the run found a Node 22 binary.
    expect(table.length).toBe(2 + 24 + (raw22 ? 1 : 0));
    for (const row of table.slice(2)) {
      expect(row.split('|').length - 2).toBe(6);
      expect(row.split('|')[3]).toMatch(/\d/);
      expect(row).toMatch(/✅ met|❌ missed|not the bottleneck|may limit|\| – \|$/);
      expect(row).not.toMatch(/NaN|undefined|Infinity/);
    }
    for (const figure of [...(raw22 ? ['cold start on Node 22'] : []), 'cold start', 'the first response', 'warm HTTP response overhead as deployed', 'spans lost', 'a collector that hangs', 'warm overhead per HTTP invocation', 'bytes: function bundle', 'bytes: layer', 'events/s', 'peak RSS', 'our code per SQS record', 'emulator ingest', 'logs + metrics per HTTP invocation', 'logs + metrics per SQS record', 'cold start with `traces=xray` (SigV4-signed, gzip) vs `traces=otlp`: Init Duration', 'cold start with `traces=xray` vs `traces=otlp`: the first invocation', 'post-response cost of a signed, gzipped export per invocation', 'post-response cost of a signed, gzipped export per 100 spans']) {
      expect(table.some((row) => row.includes(figure))).toBe(true);
    }
    expect(stdout).toContain(table[2]!);

    // The raw results: every benchmark, with samples from every variant.
    const raw = JSON.parse(readFileSync(json, 'utf8'));
    // Cold starts ran under the real runtime client on Lambda's Node 24, as deployed: every
    // environment reported Lambda's Init Duration and its first invocation's Duration; the traced
    // variants exported spans (ours as OTLP/protobuf, the deployed default), the others none.
    expect(raw.lambda.node['24']).toMatch(/^24\./);
    expect(Object.keys(raw.cold)).toEqual(['emit', 'batch', 'customer']);
    // Its first invocation is its own route from the function list, with a token of its scope.
    const customer = functionOf('customer');
    expect(markdown).toContain(`customer: \`${customer.route}\` with an RS256 bearer token of scope \`${customer.scope}\``);
    // customer: an HTTP request with a bearer token for a customer the emulator knows; a traced first
    // invocation that answered (the run stops on an HTTP error) and exported spans.
    for (const variant of ['untraced', 'ours', 'official', 'sourceMaps']) {
      expect(raw.cold.customer[variant].length, `customer ${variant}`).toBeGreaterThan(0);
      for (const r of raw.cold.customer[variant]) expect(r.spans > 0, `customer ${variant} spans`).toBe(variant !== 'untraced');
    }
    for (const fn of ['emit', 'batch']) {
      for (const variant of ['untraced', 'ours', 'official', 'oursNone', 'sourceMaps', ...(raw22 ? ['untraced22', 'ours22'] : [])]) {
        const runs = raw.cold[fn][variant];
        expect(runs.length, `${fn} ${variant}`).toBeGreaterThan(0);
        for (const r of runs) {
          expect(r.initMs).toBeGreaterThan(0);
          expect(r.firstMs).toBeGreaterThan(0);
          expect(r.spans > 0, `${fn} ${variant} spans`).toBe(!['untraced', 'oursNone', 'untraced22'].includes(variant));
        }
      }
      expect(raw.cold[fn].ours[0].encoding).toBe('protobuf');
      // traces=xray, as packaged, interleaved with the rest: every first export gzip-compressed and
      // signed (the receiver verified each signature); ours with traces=otlp neither.
      const xray = raw.cold[fn].oursXray;
      expect(xray.length, `${fn} oursXray`).toBe(raw.cold[fn].ours.length);
      for (const r of xray) {
        expect(r.initMs).toBeGreaterThan(0);
        expect(r.firstMs).toBeGreaterThan(0);
        expect(r.spans, `${fn} oursXray spans`).toBeGreaterThan(0);
        expect(r.encoding).toBe('protobuf');
        expect(r.exports).toBeGreaterThan(0);
        expect(r.gzip).toBe(r.exports);
        expect(r.signed).toBe(r.exports);
      }
      for (const r of raw.cold[fn].ours) expect([r.gzip, r.signed]).toEqual([0, 0]);
    }
    expect(markdown).toContain("Lambda's Init Duration under the real runtime client, aws-lambda-ric");
    expect(raw.warm_http.rounds[0].ours.spans[0]).toBeGreaterThan(0); // our layer exported spans
    expect(raw.warm_http.rounds[0].official.spans[0]).toBeGreaterThan(0); // so did the official way
    expect(raw.warm_http.rounds[0].untraced.spans[0]).toBe(0);
    // Logs and metrics priced in one process: both instances timed in every block.
    for (const source of ['http', 'sqs']) {
      for (const round of [...raw.observability.pipe[source], ...raw.observability.file[source]]) {
        expect(round.loud.length).toBeGreaterThan(0);
        expect(round.quiet.length).toBe(round.loud.length);
      }
    }
    // And between processes: the same untraced bundle without them, and with the summary line only.
    for (const source of ['warm_http', 'warm_sqs']) {
      for (const key of ['quiet', 'logsOnly']) {
        expect(raw[source].rounds[0][key].us.length, `${source} ${key}`).toBeGreaterThan(0);
        expect(raw[source].rounds[0][key].spans[0]).toBe(0);
      }
    }
    expect(raw.throughput.ours[0].calls).toBeLessThan(raw.throughput.powertools[0].calls);
    // Every function of the function list is weighed, not only those whose cold starts ran.
    expect(Object.keys(raw.bytes.functions)).toEqual(functionNames);
    expect(raw.bytes.layer.init).toBeGreaterThan(0);
    expect(raw.bytes.layer.export).toBeGreaterThan(0);
    // Warm responses as deployed: both receivers, every span of every variant counted, none lost;
    // with a hanging collector ours never reached the function's timeout.
    const warm = raw.warmDeployed;
    expect(Object.keys(warm.phases)).toEqual(['0', '50']);
    expect(warm.spansPer.ours).toBeGreaterThan(0);
    expect(warm.spansPer.untraced).toBe(0);
    expect(warm.lost).toEqual({ untraced: 0, ours: 0, official: 0, oursXray: 0 });
    // The signed variant exported (its x-bench-variant header survived signing) the same spans as ours,
    // and its post-response phase is paired with ours cycle by cycle.
    expect(warm.spansPer.oursXray).toBe(warm.spansPer.ours);
    for (const delay of ['0', '50']) {
      for (const round of warm.phases[delay]) {
        expect(round.oursXray.spans).toBe(warm.spansPer.oursXray * warm.blockSize);
        expect(Number.isFinite(round.oursXray.overOursPostMs)).toBe(true);
      }
    }
    for (const round of warm.phases['50']) expect(round.official.responseMs).toBeGreaterThan(50); // it waits for the export
    expect(warm.hanging.ours.every((r: { timedOut: boolean }) => !r.timedOut)).toBe(true);
    // One export's CPU work in-process, on Lambda's Node 24: every mode timed in every block, for
    // batches of 10 and 100 real spans, each export one request whose gzip body is smaller.
    expect(raw.exportCost.rounds.length).toBe(raw.config.exportCost.rounds);
    for (const round of raw.exportCost.rounds) {
      expect(round.node).toMatch(/^v24\./);
      expect(Object.keys(round.sizes)).toEqual(['10', '100']);
      for (const size of Object.values(round.sizes) as { us: Record<string, number[]>; cpuUs: Record<string, number[]>; bytes: { raw: number; gzip: number; requests: number } }[]) {
        for (const mode of ['serialize', 'gzip', 'sign']) {
          expect(size.us[mode]!.length).toBe(raw.config.exportCost.blocks);
          expect(size.cpuUs[mode]!.length).toBe(raw.config.exportCost.blocks);
          for (const us of size.us[mode]!) expect(us).toBeGreaterThan(0);
        }
        expect(size.bytes.requests).toBe(1);
        expect(size.bytes.gzip).toBeGreaterThan(0);
        expect(size.bytes.gzip).toBeLessThan(size.bytes.raw);
      }
    }
    // The layer's init by part: the extension registers, once, only with the Runtime API, and polls after the import returned.
    for (const r of raw.layerInit.lambda) {
      expect(r.registrations).toBe(1);
      expect(r.onNextMs).toBeGreaterThan(r.loadMs);
    }
    for (const r of raw.layerInit.noRuntimeApi) {
      expect(r.registrations).toBe(0);
      expect(r.totalMs).toBeGreaterThan(0);
    }

    const after = existsSync(results) ? { text: readFileSync(results, 'utf8'), mtime: statSync(results).mtimeMs } : undefined;
    expect(after).toEqual(before);
  }, 370_000);
});
