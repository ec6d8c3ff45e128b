import { createServer, type Server } from 'node:http';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { broadcastCustomerChanges, closeStreams, streamCount } from './customer-stream.ts';
import { FaultInjector, parseFaults, type FaultRule } from './faults.ts';
import { loadProgram, type CompiledProgram, type ProgramDefinition } from './program.ts';
import { parseRateLimit, type RateLimitOptions } from './rate-limit.ts';
import { handleRequest } from './request-handler.ts';
import type { CustomerView, IdentifyEntry, LedgerSnapshot } from './space.ts';
import { createState, issueToken, ledger, reset, setRateLimit, type EmulatorSettings, type IssueTokenInput } from './state.ts';

export { compileProgram, loadProgram, defaultProgram, ProgramError } from './program.ts';
export type { ProgramDefinition, CompiledProgram, LevelState, PerkDefinition, EarningRuleDefinition, RewardDefinition } from './program.ts';
export { compileFormula, parseFormula, FormulaSyntaxError } from './formula.ts';
export { parseFaults, mulberry32, faultKinds, type FaultRule, type FaultKind } from './faults.ts';
export type { RateLimitOptions } from './rate-limit.ts';
export type { CustomerView, IngestResult, IdentifyEntry, IdentifyResult, LedgerEntry, LedgerSnapshot } from './space.ts';
export { tokenIssuer, tokenType } from './tokens.ts';
export { maxBodyBytes } from './request-checks.ts';
export type { IssueTokenInput } from './state.ts';

export const defaultKeys = { server: ['sk_test_emulator'], browser: ['pk_test_emulator'] } as const;

export interface EmulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  /** A program object or the path of a program JSON file; default: the shipped default-program.json. */
  program?: ProgramDefinition | string;
  keys?: { server?: string[]; browser?: string[] };
  faults?: FaultRule[];
  rateLimit?: RateLimitOptions | null;
  /** Seed of the fault PRNG (default 1). */
  seed?: number;
  signatureToleranceSeconds?: number;
  requireSignatures?: boolean;
  heartbeatMs?: number;
  /** HS256 secret for browser and stream tokens; random per start by default. */
  tokenSecret?: string;
  /** No per-request log lines (default true; the CLI turns logging on). */
  quiet?: boolean;
  /** Where log lines go when not quiet (default: stdout). */
  log?: (line: string) => void;
}

export interface Emulator {
  url: string;
  port: number;
  host: string;
  keys: { server: string[]; browser: string[] };
  program: ProgramDefinition;
  close(): Promise<void>;
  /** Applied events, duplicates, conflicts, fault counts, and every API request received (`METHOD path` → count). */
  ledger(): LedgerSnapshot & { faults: Record<string, number>; requests: { total: number; by_route: Record<string, number> } };
  /** Clears customers, transactions, the ledger and fault counters; refills the rate bucket. Faults stay. */
  reset(): void;
  setFaults(faults: FaultRule[]): void;
  faults(): FaultRule[];
  setRateLimit(rateLimit: RateLimitOptions | null): void;
  customer(userId: string): CustomerView | undefined;
  customerIds(): string[];
  /** Every identify applied since the last reset, in order, with the traits it was given. */
  identifyLog(): IdentifyEntry[];
  /** Open customer streams. */
  streamCount(): number;
  /** Mints a browser/stream token exactly as `POST /v1/browser-tokens` would. */
  issueToken(input: IssueTokenInput): string;
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const host = options.host ?? '127.0.0.1';
  const program: CompiledProgram = await loadProgram(options.program);
  const serverKeys = [...(options.keys?.server ?? defaultKeys.server)];
  const browserKeys = [...(options.keys?.browser ?? defaultKeys.browser)];
  if (serverKeys.length === 0) throw new TypeError('keys.server must list at least one key');
  const settings: EmulatorSettings = {
    program,
    serverKeys: new Set(serverKeys),
    browserKeys,
    signatureToleranceSeconds: options.signatureToleranceSeconds ?? 300,
    requireSignatures: options.requireSignatures ?? true,
    heartbeatMs: options.heartbeatMs ?? 15_000,
    tokenSecret: options.tokenSecret ?? randomBytes(32).toString('hex'),
    quiet: options.quiet ?? true,
    log: options.log ?? ((line: string) => void process.stdout.write(`${line}\n`)),
  };
  const faults = new FaultInjector(parseFaults(options.faults), options.seed ?? 1);
  const state = createState(settings, faults, parseRateLimit(options.rateLimit));
  broadcastCustomerChanges(state);

  const server: Server = createServer({ keepAlive: true, keepAliveTimeout: 30_000, requestTimeout: 0 }, (req, res) => {
    void handleRequest(state, req, res);
  });
  server.keepAliveTimeout = 30_000;
  server.headersTimeout = 31_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  const url = `http://${urlHost}:${port}`;
  state.url = url;
  state.audience = `${url}/v1/client`;

  const close = async (): Promise<void> => {
    if (state.closed) return;
    state.closed = true;
    for (const timer of state.timers) clearTimeout(timer);
    state.timers.clear();
    closeStreams(state);
    for (const res of state.hung) res.destroy();
    state.hung.clear();
    const done = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await done;
  };

  return {
    url,
    port,
    host,
    keys: { server: [...serverKeys], browser: [...browserKeys] },
    program: program.definition,
    close,
    ledger: () => ledger(state),
    reset: () => reset(state),
    setFaults: (list) => faults.set(parseFaults(list)),
    faults: () => faults.list(),
    setRateLimit: (rateLimit) => setRateLimit(state, rateLimit),
    customer: (userId) => state.space.customer(userId),
    customerIds: () => state.space.customerIds(),
    identifyLog: () => state.space.identifyLog(),
    streamCount: () => streamCount(state),
    issueToken: (input) => issueToken(state, input),
  };
}
