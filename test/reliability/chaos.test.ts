// The chaos proof in small (the full run is `npm run test:chaos`): 2,000 events through fauxqs →
// the local poller → the BUILT batch function → the emulator with seeded faults and a token
// bucket, plus EventBridge async invokes with Lambda's retries and HTTP clients retrying with an
// Idempotency-Key, producer repeats in both, and a FIFO identify stream. Every valid event is
// applied exactly once (FIFO: in order) or sits in a DLQ with its reason; none is lost, none
// applied twice, every poison payload ends in the DLQ with its reason.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { formatChaosTable, runChaos, type ChaosSummary, type VariantSummary } from '../../dev/chaos/index.ts';

function expectExactlyOnce(run: VariantSummary) {
  const where = `${run.variant} ${run.budget}`;
  expect(run.problems, where).toEqual([]);
  expect(run.lost, `${where}: lost ${run.lostKeys.join(', ')}`).toBe(0);
  expect(run.appliedTwice, `${where}: applied twice ${run.twiceTx.join(', ')}`).toBe(0);
  expect(run.unexpected, where).toBe(0);
  expect(run.conflicts, where).toBe(0);
  expect(run.poisonApplied, where).toBe(0);
  expect(run.walletMismatches, where).toBe(0);
  expect(run.outOfOrder, `${where}: out of order ${run.outOfOrderGroups.join('; ')}`).toBe(0);
  // Every valid event is accounted for: applied, or given up on with a reason.
  expect(run.applied + run.dlqValid - run.dlqValidApplied, where).toBe(run.valid);
  expect(run.dlqPoison, where).toBe(run.poison);
  // The faults really fired, and the functions never ran into Lambda's own timeout.
  expect(Object.values(run.faults).reduce((a, b) => a + b, 0), where).toBeGreaterThan(0);
  expect(run.killedByTimeout, `${where}: invocations still running at the Lambda timeout`).toBe(0);
}

function print(summary: ChaosSummary) {
  console.log(`\n${formatChaosTable(summary)}\n`);
}

describe('chaos: exactly-once effect over at-least-once delivery, under seeded faults', () => {
  it('SQS: 2,000 events (+4 poison) through queue + DLQ → poller → built batch, tiny budget', async () => {
    const summary = await runChaos({
      events: 2_000,
      seed: 7,
      budget: 'tiny',
      variants: ['sqs'],
      poison: 4,
      // Shorter round trips than the CLI's: a failed record is back after 1 s, poison in the DLQ after 5 receives.
      visibilityTimeoutSeconds: 1,
      maxReceiveCount: 5,
      maxWallMs: 120_000,
    });
    print(summary);
    const [run] = summary.runs;
    expectExactlyOnce(run!);
    expect(run!.applied).toBeGreaterThan(1_900);
    expect(run!.retried).toBeGreaterThan(0);
    expect(run!.duplicatesAbsorbed).toBeGreaterThan(0);
    // Producer repeats (the same body with its own transaction_id in a second message): duplicates, never conflicts.
    expect(run!.settings.producerRepeats).toBeGreaterThan(10);
  }, 150_000);

  it('SQS FIFO → identify: 200 messages in 20 groups of 10 versions (+2 poison), tiny budget: every group applied in order', async () => {
    const summary = await runChaos({
      fifoEvents: 200,
      seed: 5,
      budget: 'tiny',
      variants: ['fifo'],
      poison: 2,
      visibilityTimeoutSeconds: 1,
      maxReceiveCount: 5,
      maxWallMs: 120_000,
    });
    print(summary);
    const [run] = summary.runs;
    expectExactlyOnce(run!);
    expect(run!.retried).toBeGreaterThan(0);
    // The records after a poison record of its group share its receives and reach the DLQ with it, each with its reason.
    expect(run!.dlqReasons.some((r) => r.reason.startsWith('GroupBlockedError'))).toBe(true);
    expect(run!.dlqReasons.every((r) => r.reason !== 'no failure logged')).toBe(true);
  }, 150_000);

  it('EventBridge (async invokes, 2 retries, DLQ) and HTTP (client retries, Idempotency-Key): 300 events each, tiny and normal budgets', async () => {
    const summary = await runChaos({
      events: 300,
      eventBridgeEvents: 300,
      httpEvents: 300,
      seed: 11,
      budget: 'both',
      variants: ['eventbridge', 'http'],
      poison: 4,
      concurrency: 12,
      // A cap, not a target (about 25 s here): runChaos lets each run use what is left of it, keeping
      // 40 s for each run still to come, so a slow first run on a busy machine does not starve the rest.
      maxWallMs: 240_000,
    });
    print(summary);
    expect(summary.runs).toHaveLength(4);
    for (const run of summary.runs) expectExactlyOnce(run);
    for (const run of summary.runs.filter((r) => r.variant === 'eventbridge')) expect(run.settings.producerRepeats).toBeGreaterThan(0);
  }, 280_000);
});

describe('npm run test:chaos (dist/bin/chaos.mjs)', () => {
  it('prints its options with --help and refuses bad arguments with exit code 2', () => {
    const help = spawnSync(process.execPath, ['dist/bin/chaos.mjs', '--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('--budget <b>');
    for (const args of [['--budget', 'huge'], ['--events', 'many'], ['--variants', 'sqs,ftp'], ['--fifo-events', '0'], ['--nope']]) {
      const bad = spawnSync(process.execPath, ['dist/bin/chaos.mjs', ...args], { encoding: 'utf8' });
      expect(bad.status, args.join(' ')).toBe(2);
      expect(bad.stderr, args.join(' ')).toMatch(/^chaos: /);
    }
  });
});
