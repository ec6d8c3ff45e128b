// What an operator sees, as deployed under the real runtime client: Lambda's tenant isolation (the
// invoke's tenant id on every line, on the invocation span and in the EMF line's properties), and
// the log levels Lambda's applicationLogLevel sets (packaged with logLevel=debug: a configuration
// line at cold start with every secret as its source, a line per Perkamo call; TRACE: the source's
// decisions). The same function at INFO writes none of them.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { LambdaEnvironment, LambdaNodeMajor } from '../../dev/harness/index.ts';
import { httpApiEvent, sqsEvent } from '../helpers/aws-events.ts';
import { emfProblems, parseLines } from '../helpers/log-lines.ts';
import { useDeployedStack } from './deployed-stack.ts';

const messages = (lines: readonly string[], message: string) => parseLines(lines.filter((line) => line.startsWith('{'))).filter((line) => line.message === message);

describe.each([24, 22] as LambdaNodeMajor[])('Node %i: tenants and log levels as deployed', (major) => {
  const envs: Record<string, LambdaEnvironment> = {};
  const stack = useDeployedStack(major, { logLevel: 'debug' }, async (stack) => {
    envs.emit = await stack.start('emit');
    envs.batch = await stack.start('batch', { AWS_LAMBDA_LOG_LEVEL: 'TRACE' });
    envs.quiet = await stack.start('emit', { AWS_LAMBDA_LOG_LEVEL: 'INFO' });
  });

  const emit = async (env: LambdaEnvironment, tenantId?: string) => {
    const user = `lv-${major}-${randomUUID()}`;
    const event = httpApiEvent('POST /events', { user_id: user, event: 'page.viewed', transaction_id: `tx-${user}` }, await stack.bearer('backend', ['perkamo:emit']));
    return env.invoke(event, tenantId === undefined ? {} : { tenantId });
  };

  it('a tenant-isolated invoke: tenant_id on every line of it, on the invocation span, and a property (not a dimension) of the EMF line', async () => {
    const tenant = `blue-${major}`;
    const result = await emit(envs.emit!, tenant);
    expect((result.payload as { statusCode: number }).statusCode).toBe(200);
    const ours = parseLines(result.logs.filter((line) => line.startsWith('{')));
    const summary = ours.find((line) => line.message === 'invocation done')!;
    expect(summary.tenant_id).toBe(tenant);
    // Every line of this invocation (the cold start's configuration line belongs to no invocation).
    for (const line of ours.filter((l) => l.aws_request_id === result.requestId)) expect(line.tenant_id, String(line.message ?? 'EMF')).toBe(tenant);
    const emf = ours.find((line) => line._aws !== undefined)!;
    expect(emfProblems(emf)).toEqual([]);
    expect(emf.tenant_id).toBe(tenant);
    const dimensions = (emf._aws as { CloudWatchMetrics: { Dimensions: string[][] }[] }).CloudWatchMetrics.flatMap((d) => d.Dimensions.flat());
    expect(dimensions).not.toContain('tenant_id');
    const root = (await stack.traceOf(result.requestId)).find((span) => span.attributes['faas.invocation_id'] === result.requestId)!;
    expect(root.attributes['perkamo.faas.tenant_id']).toBe(tenant);

    const plain = await emit(envs.emit!);
    const plainSummary = messages(plain.logs, 'invocation done')[0]!;
    expect(plainSummary).toBeDefined();
    expect(plainSummary).not.toHaveProperty('tenant_id');
    const plainRoot = (await stack.traceOf(plain.requestId)).find((span) => span.attributes['faas.invocation_id'] === plain.requestId)!;
    expect(plainRoot.attributes).not.toHaveProperty('perkamo.faas.tenant_id');
  });

  it('DEBUG: the effective configuration once at cold start, secrets as their source; a line per Perkamo call', async () => {
    const result = await emit(envs.emit!);
    const config = messages(envs.emit!.logs, 'configuration');
    expect(config).toHaveLength(1);
    expect(config[0]).toMatchObject({
      level: 'DEBUG',
      perkamo: { base_url: stack.emulator.url, server_key: { source: 'secrets-manager', secret: 'perkamo/dev/secret-key' }, browser_key: 'unset' },
      auth: { mode: 'jwt', issuer: expect.any(String), audience: expect.any(String), algorithms: expect.arrayContaining(['RS256']) },
      log_level: 'debug',
    });
    const calls = messages(result.logs, 'perkamo call');
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ level: 'DEBUG', operation: 'emit', ok: true, status: expect.any(Number), attempts: 1, aws_request_id: result.requestId });
    expect(calls[0]!.perkamo_request_id).toMatch(/\S/);
    expect(calls[0]!.request_bytes).toBeGreaterThan(20);
    expect(calls[0]!.response_bytes).toBeGreaterThan(2);
    expect(calls[0]!.duration_ms).toBeGreaterThan(0);
    // Never a secret: the server key, the token, anywhere in what the function printed.
    const everything = envs.emit!.logs.join('\n');
    for (const key of stack.emulator.keys.server) expect(everything).not.toContain(key);
    expect(everything).not.toMatch(/eyJ[\w-]{10,}\.[\w-]{10,}\./);
  });

  it('TRACE: the source’s decisions — the trigger that matched, each item’s id and what became of it', async () => {
    const ids = [randomUUID(), randomUUID(), randomUUID()];
    const valid = (id: string) => ({ messageId: id, body: { user_id: `tr-${major}`, event: 'page.viewed', transaction_id: `tr-${major}-${id}` } });
    const result = await envs.batch!.invoke(sqsEvent([valid(ids[0]!), { messageId: ids[1], body: { event: 'page.viewed' } }, valid(ids[2]!)]));
    expect(result.payload).toEqual({ batchItemFailures: [{ itemIdentifier: ids[1] }] });
    const items = messages(result.logs, 'items');
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ level: 'TRACE', trigger: 'sqs', items: 3, invalid: 1, item_ids: ids, decisions: ['emit', 'invalid: PerkamoValidationError', 'emit'] });
    // TRACE includes DEBUG: the line of the one events:batch call the two events became.
    expect(messages(result.logs, 'perkamo call')).toEqual([expect.objectContaining({ operation: 'batch', ok: true, attempts: 1 })]);
  });

  it('INFO: none of them', async () => {
    const result = await emit(envs.quiet!);
    expect((result.payload as { statusCode: number }).statusCode).toBe(200);
    expect(messages(envs.quiet!.logs, 'configuration')).toEqual([]);
    expect(messages(result.logs, 'perkamo call')).toEqual([]);
    expect(messages(result.logs, 'invocation done')).toHaveLength(1);
  });
});
