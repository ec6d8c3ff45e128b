/**
 * `startLocalStack`: everything `npm start` runs, in one process — the Perkamo emulator, loopback
 * SQS (fauxqs) with queues, DLQs and pollers, the four built functions, and the local HTTP API
 * with the demo page. Tests start it on ephemeral ports (port 0).
 */
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startEmulator, type Emulator } from '../../src/emulator/index.ts';
import { bannerText } from './banner.ts';
import {
  defaultHost,
  defaultPorts,
  devBrowserKey,
  devFunctionEnv,
  devFunctionTimeoutMs,
  devLogLevel,
  devMaxReceiveCount,
  devSecretKey,
  devVisibilityTimeoutSeconds,
  localQueues,
} from './dev-config.ts';
import { createLocalApi } from './http-api.ts';
import { loadFunctions, projectRoot, type FunctionName, type LoadedFunctions } from './lambda.ts';
import { startLocalSqs, startPoller, type LocalSqs, type Poller, type QueueInfo } from './sqs.ts';
import { TraceStore } from './trace-store.ts';

export interface LocalStackOptions {
  /** Loopback address every server binds to (default 127.0.0.1). */
  host?: string;
  /** Default 3000 / 4001 / 4566; 0 picks a free port. */
  ports?: { api?: number; emulator?: number; sqs?: number };
  /** Queue visibility timeout, seconds (default 15, the dev value; see dev-config.ts). */
  visibilityTimeoutSeconds?: number;
  /** Receives before fauxqs moves a message to the DLQ (default 3). */
  maxReceiveCount?: number;
  /** Records per SQS invocation, 1–10 (default 10). */
  batchSize?: number;
  /** FIFO queues and DLQs (`perkamo-events.fifo`, …), as the deployed FIFO variant (default false). */
  fifo?: boolean;
  /** Long-poll wait of the pollers, seconds (default 20). */
  waitTimeSeconds?: number;
  /** The Lambda timeout each invocation counts down from (default 10 s). */
  functionTimeoutMs?: number;
  /** Load the OpenTelemetry layer (dist/layers/otel/otel-init.mjs) before the functions, when built. Default false. */
  otel?: boolean;
  /** Extra function environment (LOG_LEVEL, PERKAMO_CONCURRENCY, …). */
  env?: Record<string, string>;
  /** Where request lines, poller lines and the emulator's request log go. Default: nowhere. */
  log?: (line: string) => void;
  /** Log every emulator request too (default false). */
  emulatorLog?: boolean;
  /** Start the SQS pollers (default true). */
  pollers?: boolean;
}

export interface LocalStack {
  host: string;
  /** `traces`: the trace view, when the layer exports to this stack (otel on, no OTLP endpoint of the user's). */
  urls: { api: string; page: string; emulator: string; sqs: string; traces?: string };
  ports: { api: number; emulator: number; sqs: number };
  emulator: Emulator;
  sqs: LocalSqs;
  /** By queue name: perkamo-events, perkamo-identify (with `.fifo` under `fifo`). */
  queues: Record<string, QueueInfo>;
  functions: LoadedFunctions;
  pollers: Record<string, Poller>;
  /** The function environment (no secrets beyond the dev ones). */
  env: Record<string, string>;
  settings: { visibilityTimeoutSeconds: number; maxReceiveCount: number; batchSize: number; functionTimeoutMs: number; fifo: boolean };
  /** Whether the OpenTelemetry layer was loaded, and where it exports (the trace view, or the user's endpoint). */
  otel: { requested: boolean; loaded: boolean; path: string; endpoint?: string };
  /** The spans the layer exported to the trace view (otel on, without an OTLP endpoint of the user's). */
  traces?: TraceStore;
  /** Time from the call to ready, ms. */
  startupMs: number;
  banner(): string;
  close(): Promise<void>;
}

export class PortInUseError extends Error {
  constructor(
    readonly what: string,
    readonly port: number,
    readonly flag: string,
  ) {
    super(`${what}: port ${port} is already in use (another \`npm start\`?). Stop it, or pick another port with ${flag}.`);
    this.name = 'PortInUseError';
  }
}

function inUse(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | null)?.code === 'EADDRINUSE' || /EADDRINUSE/.test(String((error as Error)?.message));
}

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const started = performance.now();
  const host = options.host ?? defaultHost;
  const wanted = {
    api: options.ports?.api ?? defaultPorts.api,
    emulator: options.ports?.emulator ?? defaultPorts.emulator,
    sqs: options.ports?.sqs ?? defaultPorts.sqs,
  };
  const log = options.log ?? (() => {});
  const settings = {
    visibilityTimeoutSeconds: options.visibilityTimeoutSeconds ?? devVisibilityTimeoutSeconds,
    maxReceiveCount: options.maxReceiveCount ?? devMaxReceiveCount,
    batchSize: options.batchSize ?? 10,
    functionTimeoutMs: options.functionTimeoutMs ?? devFunctionTimeoutMs,
    fifo: options.fifo === true,
  };
  const queueDefs = localQueues(settings.fifo);
  const root = projectRoot();
  const cleanups: (() => Promise<void>)[] = [];
  const cleanup = async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn().catch(() => {});
  };

  try {
    let emulator: Emulator;
    try {
      emulator = await startEmulator({
        host,
        port: wanted.emulator,
        keys: { server: [devSecretKey], browser: [devBrowserKey] },
        quiet: !options.emulatorLog,
        log: (line) => log(`emulator ${line}`),
      });
    } catch (error) {
      throw inUse(error) ? new PortInUseError('Perkamo emulator', wanted.emulator, '--emulator-port') : error;
    }
    cleanups.push(() => emulator.close());

    let sqs: LocalSqs;
    try {
      sqs = await startLocalSqs({
        host,
        port: wanted.sqs,
        queues: Object.values(queueDefs).map((q) => ({
          name: q.name,
          dlq: q.dlq,
          maxReceiveCount: settings.maxReceiveCount,
          visibilityTimeoutSeconds: settings.visibilityTimeoutSeconds,
          fifo: settings.fifo,
        })),
      });
    } catch (error) {
      throw inUse(error) ? new PortInUseError('SQS (fauxqs)', wanted.sqs, '--sqs-port') : error;
    }
    cleanups.push(() => sqs.close());

    // The HTTP API listens before the functions load: CORS_ALLOWED_ORIGINS needs its port, and
    // the layer the trace view's address. An OTLP endpoint of the user's (Jaeger, a collector) wins.
    // Without the otlp exporter (OTEL_TRACES_EXPORTER=console, say) nothing would arrive: no trace view.
    const userEndpoint = process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
    const exportsOtlp = (process.env.OTEL_TRACES_EXPORTER ?? 'otlp').split(',').some((name) => name.trim().toLowerCase() === 'otlp');
    const traces = options.otel && exportsOtlp && !userEndpoint ? new TraceStore() : undefined;
    let functions: LoadedFunctions | undefined;
    // Set once the layer exports here: the demo page links each event to its trace.
    let tracesPath: string | null = null;
    const server = createLocalApi({
      traces,
      invoke: () => functions && ((name: FunctionName, event: unknown) => functions!.invoke(name, event, settings.functionTimeoutMs)),
      demoDir: join(root, 'dev/stack/demo'),
      pageConfig: () => ({
        api_url: apiUrl,
        emulator_url: emulator.url,
        stream_path: '/v1/client/customer/{user_id}/stream',
        traces_path: tracesPath,
      }),
      log,
    });
    server.keepAliveTimeout = 5_000;
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(wanted.api, host, () => (server.off('error', reject), resolve()));
      });
    } catch (error) {
      throw inUse(error) ? new PortInUseError('local HTTP API', wanted.api, '--port') : error;
    }
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    );
    const apiPort = (server.address() as AddressInfo).port;
    const apiUrl = `http://${host}:${apiPort}`;

    const env: Record<string, string> = {
      ...devFunctionEnv(emulator.url),
      CORS_ALLOWED_ORIGINS: [apiUrl, `http://localhost:${apiPort}`].join(','),
      // An empty LOG_LEVEL is unset, as the functions read it: the local default, not theirs (info).
      LOG_LEVEL: process.env.LOG_LEVEL?.trim() || devLogLevel,
      // EMF lines are for CloudWatch; on a terminal they would bury the request lines.
      PERKAMO_METRICS: process.env.PERKAMO_METRICS ?? 'false',
      ...options.env,
    };

    const layer = join(root, 'dist/layers/otel/otel-init.mjs');
    const otel: LocalStack['otel'] = { requested: options.otel === true, loaded: false, path: layer };
    if (options.otel && existsSync(layer)) {
      // The layer reads its settings once, when it loads.
      if (traces) process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT = `${apiUrl}/v1/traces`;
      process.env.OTEL_SERVICE_NAME ??= 'perkamo-local';
      otel.endpoint = process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
      await import(/* @vite-ignore */ pathToFileURL(layer).href);
      otel.loaded = true;
      if (traces) tracesPath = '/traces';
    }
    functions = await loadFunctions(env, root);
    const loaded = functions;

    const pollers: Record<string, Poller> = {};
    if (options.pollers !== false) {
      for (const def of Object.values(queueDefs)) {
        const queue = sqs.queues[def.name]!;
        pollers[def.name] = startPoller({
          client: sqs.client,
          queue,
          batchSize: settings.batchSize,
          ...(options.waitTimeSeconds !== undefined && { waitTimeSeconds: options.waitTimeSeconds }),
          invoke: (event) => loaded.invoke(def.function, event, settings.functionTimeoutMs),
          log,
        });
      }
      // Pollers stop before SQS closes (cleanups run in reverse).
      cleanups.push(async () => {
        await Promise.all(Object.values(pollers).map((p) => p.stop()));
      });
      cleanups.push(watchDeadLetters(sqs, log));
    }

    const urls = { api: apiUrl, page: `${apiUrl}/`, emulator: emulator.url, sqs: sqs.url, ...(traces && otel.loaded && { traces: `${apiUrl}/traces` }) };
    const ports = { api: apiPort, emulator: emulator.port, sqs: sqs.port };
    const startupMs = performance.now() - started;
    let closing: Promise<void> | undefined;
    const stack: LocalStack = {
      host,
      urls,
      ports,
      emulator,
      sqs,
      queues: sqs.queues,
      functions: loaded,
      pollers,
      env,
      settings,
      otel,
      ...(traces && otel.loaded && { traces }),
      startupMs,
      banner: () => bannerText(stack),
      close: () => (closing ??= cleanup()),
    };
    return stack;
  } catch (error) {
    await cleanup();
    throw error;
  }
}

/** Prints a line when a message lands in a DLQ. Returns its stop function. */
function watchDeadLetters(sqs: LocalSqs, log: (line: string) => void): () => Promise<void> {
  const seen = new Map<string, number>();
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    void (async () => {
      for (const queue of Object.values(sqs.queues)) {
        const { visible, inFlight } = await sqs.counts(queue.dlqName);
        const count = visible + inFlight;
        const before = seen.get(queue.dlqName) ?? 0;
        if (count > before) {
          log(`SQS ${queue.dlqName}: ${count - before} message${count - before === 1 ? '' : 's'} moved here from ${queue.name} (now ${count})`);
        }
        seen.set(queue.dlqName, count);
      }
    })()
      .catch(() => {})
      .finally(() => (busy = false));
  }, 1000);
  timer.unref();
  return async () => clearInterval(timer);
}
