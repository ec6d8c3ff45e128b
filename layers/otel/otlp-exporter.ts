// OTLP over HTTP, protobuf or JSON, with a deadline. The official exporter retries with backoff for
// seconds and keeps a request running after its caller gave up; here each POST runs within the
// caller's deadline and is destroyed when it passes, so nothing is left to hold the process or to
// wake up in the next invocation. Every request keeps the endpoint's limits (limits.ts) and, for
// CloudWatch's endpoint or with PERKAMO_OTEL_SIGV4, is signed with SigV4 (sigv4.ts). Part of
// otel-export.mjs (export-module.ts), with all it uses: the cold start holds only a stand-in
// (lazy-exporter.ts) that loads it at the first export — after the first response. node:http (or
// node:https) and node:zlib load then too, on first use.
import type { IncomingMessage, RequestOptions } from 'node:http';
import type { Env, OtlpConfig } from './config.ts';
import { credentialsSource } from './credentials.ts';
import { boundSpan, limitedRequests } from './limits.ts';
import { encodeJson, encodeProtobuf } from './otlp-encode.ts';
import { partialSuccessOf, type PartialSuccess } from './partial-success.ts';
import type { DeadlineExporter } from './processor.ts';
import { refusalOf, safeLine } from './refusals.ts';
import { requestSigner, type RequestSigner } from './sigv4.ts';
import type { EndedSpan } from './span.ts';

type RequestFn = (url: URL, options: RequestOptions, callback: (res: IncomingMessage) => void) => import('node:http').ClientRequest;

/** The collector did not take the spans and says (or shows) it may later: OTLP's retryable answers. */
const transientStatuses = new Set([429, 502, 503, 504]);
/** Of an answer's body (a refusal's reason, a partial success), only this much is read. */
const maxAnswerBodyBytes = 4 * 1024;

export class OtlpHttpExporter implements DeadlineExporter {
  private readonly url: URL;
  private request: Promise<RequestFn> | undefined;
  private signer: RequestSigner | undefined;

  /** `env`: where signing reads its credentials, at each export (process.env on Lambda). */
  constructor(
    private readonly config: OtlpConfig,
    private readonly env: Env = process.env,
  ) {
    this.url = new URL(config.url);
  }

  /**
   * Sends the spans in as many requests as the limits need, one after the other. On a failure the
   * error's `unsent` holds the spans no request delivered (those of the failed request and after).
   */
  async exportWithin(spans: EndedSpan[], timeoutMs: number, signal: AbortSignal): Promise<void> {
    if (spans.length === 0) return;
    const json = this.config.protocol === 'http/json';
    const requests = limitedRequests(spans.map((span) => boundSpan(span)), json ? encodeJson : encodeProtobuf);
    if (this.config.sigv4) this.signer ??= requestSigner(this.config.sigv4, credentialsSource(this.env));
    // Our own timer only when OTEL_EXPORTER_OTLP_TIMEOUT is the tighter bound; otherwise the flush
    // budget ends the request (through `signal`), and the grace keeps the two timers from racing.
    const own = this.config.timeoutMs;
    const deadline = Date.now() + (own < timeoutMs ? own : timeoutMs + 50);
    let rejected = 0;
    let reason = '';
    for (let i = 0; i < requests.length; i++) {
      let partial: PartialSuccess | undefined;
      try {
        partial = await this.send(requests[i]!.body, json, deadline, signal);
      } catch (error) {
        const unsent = requests.slice(i).flatMap((request) => request.spans);
        // What an earlier request's collector rejected is lost too: counted with them, should they be dropped.
        throw Object.assign(error as Error, { unsent, ...(rejected > 0 && { dropped: rejected + unsent.length }) });
      }
      if (partial) {
        rejected += partial.rejected;
        reason ||= partial.message;
      }
    }
    // Taken, but not all kept: those spans are gone (OTLP: a partial success is not resent), and said so.
    if (rejected > 0) {
      const why = safeLine(reason, this.secrets());
      throw Object.assign(new Error(`${this.url.origin}${this.url.pathname} took the export but rejected ${rejected} of its ${spans.length} spans${why ? ` (${why})` : ''}; OTLP partial successes are not resent`), {
        warnKey: 'partial-success',
        dropped: rejected,
        unsent: [],
      });
    }
  }

  /** Strings no warning may repeat: the signing credentials and the configured headers' values (vendor API keys). */
  private secrets(): string[] {
    return [...(this.signer?.secrets ?? []), ...Object.values(this.config.headers)];
  }

  /** One request; what the collector says it rejected of it, if anything. */
  private async send(serialized: Uint8Array, json: boolean, deadline: number, signal: AbortSignal): Promise<PartialSuccess | undefined> {
    const body = this.config.gzip ? await gzip(serialized) : serialized;
    let headers: Record<string, string> = {
      ...this.config.headers,
      'content-type': json ? 'application/json' : 'application/x-protobuf',
      'content-length': String(body.byteLength),
      ...(this.config.gzip && { 'content-encoding': 'gzip' }),
    };
    if (this.signer) headers = await this.signer.sign({ url: this.url, headers, body }, deadline);
    try {
      return await this.post(body, headers, json, deadline, signal);
    } catch (error) {
      // A kept-alive socket the collector closed while Lambda was frozen fails at once: retry once.
      // (The signature stays valid: it is minutes, not milliseconds, that AWS allows.)
      if (!(error as { retryable?: boolean }).retryable || Date.now() >= deadline || signal.aborted) throw error;
      return this.post(body, headers, json, deadline, signal);
    }
  }

  private async post(body: Uint8Array, headers: Record<string, string>, json: boolean, deadline: number, signal: AbortSignal): Promise<PartialSuccess | undefined> {
    this.request ??= (this.url.protocol === 'https:' ? import('node:https') : import('node:http')).then((m) => m.request as RequestFn);
    const request = await this.request;
    const url = this.url;
    const where = `${url.origin}${url.pathname}`;
    return new Promise<PartialSuccess | undefined>((resolve, reject) => {
      if (signal.aborted) return reject(new Error('export aborted'));
      const req = request(url, { method: 'POST', headers }, (res) => {
        const status = res.statusCode ?? 0;
        res.on('error', () => undefined);
        if (status >= 200 && status < 300) {
          // Taken: read the answer (a bounded piece of it) for a partial success, then the socket is free again.
          const taken: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            taken.push(chunk);
            size += chunk.length;
            // Longer than any partial success: taken, and not read on (nor waited for).
            if (size > maxAnswerBodyBytes) answered();
          });
          const answered = () => {
            if (cleaned) return;
            cleanup();
            if (size > maxAnswerBodyBytes) return void (res.destroy(), resolve(undefined));
            resolve(size > 0 ? partialSuccessOf(Buffer.concat(taken), json) : undefined);
          };
          res.on('end', answered);
          // The status said the spans were taken: a connection lost before the body's end is no failure.
          res.on('close', answered);
          return;
        }
        if (transientStatuses.has(status)) {
          res.resume();
          cleanup();
          return reject(Object.assign(new Error(`${where} answered HTTP ${status}`), { transient: true }));
        }
        // A refusal: resending will not help. Its body says why; read a bounded piece of it.
        const chunks: Buffer[] = [];
        let size = 0;
        const refused = () => {
          if (cleaned) return;
          cleanup();
          req.destroy();
          const refusal = refusalOf({
            status,
            errorType: String(res.headers['x-amzn-errortype'] ?? ''),
            body: Buffer.concat(chunks),
            signed: this.signer !== undefined,
            secrets: this.secrets(),
          });
          reject(Object.assign(new Error(`${where} answered HTTP ${status}${refusal.detail}; ${refusal.fix}`), { warnKey: refusal.key }));
        };
        res.on('data', (chunk: Buffer) => {
          if (size >= maxAnswerBodyBytes) return;
          chunks.push(chunk);
          size += chunk.length;
          if (size >= maxAnswerBodyBytes) refused();
        });
        res.on('end', refused);
        res.on('close', refused);
      });
      const fail = (error: Error) => {
        cleanup();
        req.destroy();
        reject(error);
      };
      const timer = setTimeout(() => fail(new Error(`${where} did not answer in time`)), Math.max(0, deadline - Date.now()));
      const onAbort = () => fail(new Error('export aborted'));
      let cleaned = false;
      const cleanup = () => {
        if (cleaned) return;
        cleaned = true;
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
      };
      signal.addEventListener('abort', onAbort);
      req.on('error', (error: Error & { code?: string; retryable?: boolean; transient?: boolean }) => {
        if (cleaned) return;
        if (error.code === 'ECONNRESET' && req.reusedSocket) error.retryable = true;
        // Nothing reached the collector: the spans can go with the next export.
        if (error.code === 'ECONNREFUSED') error.transient = true;
        error.message = `${where}: ${error.message}`;
        fail(error);
      });
      req.end(body);
    });
  }
}

/**
 * Up to this size a body is compressed in one synchronous call: for an invocation's few KB the
 * thread pool's round trip costs more CPU than the compression (measured: ≈ 300 µs async against
 * ≈ 115 µs sync for 3.9 KB on this machine) — and this runs after the response. Larger ones stay off the event loop.
 */
const syncGzipBytes = 64 * 1024;

async function gzip(body: Uint8Array): Promise<Uint8Array> {
  const zlib = await import('node:zlib');
  if (body.byteLength <= syncGzipBytes) return zlib.gzipSync(body);
  return new Promise((resolve, reject) => zlib.gzip(body, (error, out) => (error ? reject(error) : resolve(out))));
}
