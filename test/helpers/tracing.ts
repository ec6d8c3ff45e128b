import { context, propagation, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { AsyncLocalStorageContextManager } from '../../layers/otel/context-manager.ts';
import { startEmulator, type Emulator } from '../../src/emulator/index.ts';
import { functionEnv, loadFunction, type Handler } from './functions.ts';

/**
 * Registers the real OpenTelemetry SDK globally with an in-memory exporter. The built bundles carry
 * their own copy of @opentelemetry/api; it finds this provider through the API's global registry.
 */
export function setupTestTracing() {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  trace.setGlobalTracerProvider(provider);
  context.setGlobalContextManager(new AsyncLocalStorageContextManager());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  return {
    exporter,
    spans: (): ReadableSpan[] => exporter.getFinishedSpans(),
    reset: () => exporter.reset(),
    shutdown: async () => {
      await provider.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
}

export const parentOf = (span: ReadableSpan): string | undefined => span.parentSpanContext?.spanId;

export interface TracedFunctions {
  emulator: Emulator;
  tracing: ReturnType<typeof setupTestTracing>;
  /** The built bundles by name, loaded once for the file (their cold starts happen there). */
  fn: Record<string, Handler>;
}

/**
 * For a test file: the real OpenTelemetry SDK registered, the emulator, and the built `names`
 * loaded against it with `env` on top of `functionEnv`; torn down after the file. Before each test
 * the spans and faults are cleared, and the emulator's state too unless `keepState` (tests that
 * build on an earlier test's customers).
 */
export function useTracedFunctions(names: readonly string[], env: Record<string, string> = {}, { keepState = false } = {}): TracedFunctions {
  const suite = { fn: {} } as TracedFunctions;
  beforeAll(async () => {
    suite.tracing = setupTestTracing();
    suite.emulator = await startEmulator({ quiet: true });
    for (const name of names) suite.fn[name] = await loadFunction(name, functionEnv(suite.emulator, env));
  });
  afterAll(async () => {
    await suite.emulator?.close();
    await suite.tracing?.shutdown();
  });
  beforeEach(() => {
    if (!keepState) suite.emulator.reset();
    suite.emulator.setFaults([]);
    suite.tracing.reset();
  });
  return suite;
}
