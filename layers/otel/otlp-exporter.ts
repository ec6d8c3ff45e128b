// OTLP over HTTP, protobuf or JSON, with a deadline. The official exporter retries with backoff for
// seconds and keeps a request running after its caller gave up; here one POST runs within the
// caller's deadline and is destroyed when it passes, so nothing is left to hold the process or to
// wake up in the next invocation. The serializers (otel-export.mjs in the built layer), node:http
// and node:zlib load at the first export — after the first response, not in the cold start.
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { IncomingMessage, RequestOptions } from 'node:http';
import type { OtlpConfig } from './config.ts';
import type { DeadlineExporter } from './processor.ts';

type RequestFn = (url: URL, options: RequestOptions, callback: (res: IncomingMessage) => void) => import('node:http').ClientRequest;
type Serializers = typeof import('./otlp-serializers.ts');

/** The collector did not take the spans and says (or shows) it may later: OTLP's retryable answers. */
const transientStatuses = new Set([429, 502, 503, 504]);

export class OtlpHttpExporter implements SpanExporter, DeadlineExporter {
  private readonly url: URL;
  private request: Promise<RequestFn> | undefined;
  private serializers: Promise<Serializers> | undefined;

  constructor(private readonly config: OtlpConfig) {
    this.url = new URL(config.url);
  }

  async exportWithin(spans: ReadableSpan[], timeoutMs: number, signal: AbortSignal): Promise<void> {
    if (spans.length === 0) return;
    const json = this.config.protocol === 'http/json';
    this.serializers ??= import('./otlp-serializers.ts');
    const { JsonTraceSerializer, ProtobufTraceSerializer } = await this.serializers;
    const serialized = (json ? JsonTraceSerializer : ProtobufTraceSerializer).serializeRequest(spans);
    if (!serialized) throw new Error('could not serialize the spans');
    const body = this.config.gzip ? await gzip(serialized) : serialized;
    // Our own timer only when OTEL_EXPORTER_OTLP_TIMEOUT is the tighter bound; otherwise the flush
    // budget ends the request (through `signal`), and the grace keeps the two timers from racing.
    const own = this.config.timeoutMs;
    const deadline = Date.now() + (own < timeoutMs ? own : timeoutMs + 50);
    const headers = {
      ...this.config.headers,
      'content-type': json ? 'application/json' : 'application/x-protobuf',
      'content-length': String(body.byteLength),
      ...(this.config.gzip && { 'content-encoding': 'gzip' }),
    };
    try {
      await this.post(body, headers, deadline, signal);
    } catch (error) {
      // A kept-alive socket the collector closed while Lambda was frozen fails at once: retry once.
      if (!(error as { retryable?: boolean }).retryable || Date.now() >= deadline || signal.aborted) throw error;
      await this.post(body, headers, deadline, signal);
    }
  }

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    this.exportWithin(spans, this.config.timeoutMs, new AbortController().signal).then(
      () => resultCallback({ code: ExportResultCode.SUCCESS }),
      (error: Error) => resultCallback({ code: ExportResultCode.FAILED, error }),
    );
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }

  private async post(body: Uint8Array, headers: Record<string, string>, deadline: number, signal: AbortSignal): Promise<void> {
    this.request ??= (this.url.protocol === 'https:' ? import('node:https') : import('node:http')).then((m) => m.request as RequestFn);
    const request = await this.request;
    const url = this.url;
    await new Promise<void>((resolve, reject) => {
      if (signal.aborted) return reject(new Error('export aborted'));
      const req = request(url, { method: 'POST', headers }, (res) => {
        const status = res.statusCode ?? 0;
        res.resume();
        res.on('error', () => undefined);
        if (status >= 200 && status < 300) resolve();
        else reject(Object.assign(new Error(`${url.origin}${url.pathname} answered HTTP ${status}`), { transient: transientStatuses.has(status) }));
        cleanup();
      });
      const fail = (error: Error) => {
        cleanup();
        req.destroy();
        reject(error);
      };
      const timer = setTimeout(
        () => fail(new Error(`${url.origin}${url.pathname} did not answer in time`)),
        Math.max(0, deadline - Date.now()),
      );
      const onAbort = () => fail(new Error('export aborted'));
      const cleanup = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
      };
      signal.addEventListener('abort', onAbort);
      req.on('error', (error: Error & { code?: string; retryable?: boolean; transient?: boolean }) => {
        if (error.code === 'ECONNRESET' && req.reusedSocket) error.retryable = true;
        // Nothing reached the collector: the spans can go with the next export.
        if (error.code === 'ECONNREFUSED') error.transient = true;
        error.message = `${url.origin}${url.pathname}: ${error.message}`;
        fail(error);
      });
      req.end(body);
    });
  }
}

async function gzip(body: Uint8Array): Promise<Uint8Array> {
  const { gzip: compress } = await import('node:zlib');
  return new Promise((resolve, reject) => compress(body, (error, out) => (error ? reject(error) : resolve(out))));
}
