/**
 * Lambda's Runtime API (2018-06-01) on 127.0.0.1, answered as RAPID answers it (status codes, error
 * types, headers), and the one server that also carries the Extensions API (extensions-api.ts): the
 * runtime and its extensions find both at AWS_LAMBDA_RUNTIME_API. This file speaks the protocol and
 * keeps who is waiting on `next`; when an invocation starts, completes or fails is environment.ts's
 * business.
 *
 * GET /2018-06-01/runtime/invocation/next (long poll), POST …/invocation/{id}/response,
 * POST …/invocation/{id}/error, POST /2018-06-01/runtime/init/error.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { readBody } from '../../src/emulator/http-body.ts';
import { drain, header, isOpen, maxControlBodyBytes, parseError, sendJson } from './api-http.ts';
import { ExtensionsApi, type ExtensionsApiListener } from './extensions-api.ts';
import type { LambdaError } from './types.ts';

/** A synchronous invocation's request payload limit. */
export const maxInvokePayloadBytes = 6 * 1024 * 1024;
/** A buffered response's limit (Lambda: "maximum allowed payload size (6291556 bytes)"). */
export const maxResponsePayloadBytes = 6 * 1024 * 1024 + 100;
/** A streamed response's limit. */
export const maxStreamingResponseBytes = 20 * 1024 * 1024;

export interface Invocation {
  requestId: string;
  /** The event, as JSON. */
  payload: Buffer;
  /** Epoch milliseconds. */
  deadlineMs: number;
  invokedFunctionArn: string;
  traceHeader: string | null;
  clientContext?: string;
  /** Lambda's tenant isolation: the invoke's tenant id (Lambda-Runtime-Aws-Tenant-Id). */
  tenantId?: string;
  cognitoIdentity?: string;
}

/** What the runtime posted for an invocation. */
export type RuntimeAnswer =
  | { kind: 'response'; body: Buffer; contentType: string | undefined; streaming: boolean }
  | { kind: 'error'; error: LambdaError }
  | { kind: 'too-large'; error: LambdaError };

export interface RuntimeApiListener extends ExtensionsApiListener {
  /** The invocation was handed to a runtime's `next`. */
  delivered(requestId: string): void;
  answered(requestId: string, answer: RuntimeAnswer): void;
  initError(error: LambdaError): void;
}

export interface RuntimeApiOptions {
  functionName: string;
  handler: string;
  accountId: string;
  listener: RuntimeApiListener;
}

const invocationPath = /^\/2018-06-01\/runtime\/invocation\/([^/]+)\/(response|error)$/;

export class RuntimeApi {
  /** The runtime may post /init/error (during the init phase). */
  initPhase = false;
  readonly extensions: ExtensionsApi;

  readonly #options: RuntimeApiOptions;
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  #address = '';
  #pollers: ServerResponse[] = [];
  #queue: Invocation[] = [];
  /** Invocations that may still be answered: 'open' until the runtime posts a response or an error. */
  #invocations = new Map<string, 'open' | 'answered'>();

  constructor(options: RuntimeApiOptions) {
    this.#options = options;
    this.extensions = new ExtensionsApi(options);
    // Long polls wait as long as the environment stays frozen: no keep-alive or request timeouts.
    // Large headers: aws-lambda-ric sends its X-Ray error cause (a stack) as a header.
    this.#server = createServer({ maxHeaderSize: 1024 * 1024, requestTimeout: 0, keepAliveTimeout: 0 }, (req, res) => {
      this.#route(req, res).catch(() => {
        if (!res.headersSent) sendJson(res, 500, { errorMessage: 'Internal Server Error', errorType: 'InternalServerError' });
        else res.destroy();
      });
    });
    this.#server.keepAliveTimeout = 0;
    this.#server.on('connection', (socket) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
    });
  }

  /** Listens on 127.0.0.1 (a free port); returns `127.0.0.1:<port>`. */
  async listen(): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(0, '127.0.0.1', () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
    this.#address = `127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this.#address;
  }

  get address(): string {
    return this.#address;
  }

  /** Runtime `next` requests held, waiting for an invocation. */
  get runtimeWaiting(): number {
    this.#pollers = this.#pollers.filter(isOpen);
    return this.#pollers.length;
  }

  /** Hands the invocation to a waiting runtime `next`, or queues it for the next one. */
  deliver(invocation: Invocation): void {
    this.#invocations.set(invocation.requestId, 'open');
    const poller = this.#takePoller();
    if (poller) this.#write(poller, invocation);
    else this.#queue.push(invocation);
  }

  /** The invocation is over (timed out, or its environment reset): later answers are refused. */
  closeInvocation(requestId: string): void {
    this.#invocations.delete(requestId);
    this.#queue = this.#queue.filter((queued) => queued.requestId !== requestId);
  }

  /** Forgets everything of the environment's processes (they are gone): waits, queues, extensions. */
  reset(): void {
    for (const poller of this.#pollers) poller.destroy();
    this.extensions.reset();
    this.#pollers = [];
    this.#queue = [];
    this.#invocations.clear();
    this.initPhase = false;
  }

  async close(): Promise<void> {
    this.reset();
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const socket of this.#sockets) socket.destroy();
    await closed;
  }

  #takePoller(): ServerResponse | undefined {
    for (let poller = this.#pollers.shift(); poller; poller = this.#pollers.shift()) if (isOpen(poller)) return poller;
    return undefined;
  }

  #write(res: ServerResponse, invocation: Invocation): void {
    const headers: Record<string, string | number> = {
      'Content-Type': 'application/json',
      'Lambda-Runtime-Aws-Request-Id': invocation.requestId,
      'Lambda-Runtime-Deadline-Ms': String(invocation.deadlineMs),
      'Lambda-Runtime-Invoked-Function-Arn': invocation.invokedFunctionArn,
      'Content-Length': invocation.payload.length,
    };
    if (invocation.traceHeader) headers['Lambda-Runtime-Trace-Id'] = invocation.traceHeader;
    if (invocation.clientContext) headers['Lambda-Runtime-Client-Context'] = invocation.clientContext;
    if (invocation.cognitoIdentity) headers['Lambda-Runtime-Cognito-Identity'] = invocation.cognitoIdentity;
    if (invocation.tenantId) headers['Lambda-Runtime-Aws-Tenant-Id'] = invocation.tenantId;
    res.writeHead(200, headers);
    res.end(invocation.payload);
    this.#options.listener.delivered(invocation.requestId);
  }

  async #route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://runtime-api').pathname;
    const method = req.method ?? 'GET';
    const expect = (wanted: string) => {
      if (method === wanted) return true;
      drain(req);
      sendJson(res, 405, { errorMessage: `Method ${method} not allowed on ${path}`, errorType: 'MethodNotAllowed' });
      return false;
    };
    if (path === '/2018-06-01/runtime/invocation/next') {
      if (expect('GET')) this.#runtimeNext(req, res);
      return;
    }
    const invocation = invocationPath.exec(path);
    if (invocation) {
      if (expect('POST')) await this.#runtimeAnswer(req, res, decodeURIComponent(invocation[1]!), invocation[2] as 'response' | 'error');
      return;
    }
    switch (path) {
      case '/2018-06-01/runtime/init/error':
        if (expect('POST')) await this.#runtimeInitError(req, res);
        return;
      case '/2020-01-01/extension/register':
        if (expect('POST')) await this.extensions.register(req, res);
        return;
      case '/2020-01-01/extension/event/next':
        if (expect('GET')) this.extensions.next(req, res);
        return;
      case '/2020-01-01/extension/init/error':
      case '/2020-01-01/extension/exit/error':
        if (expect('POST')) await this.extensions.error(req, res, path.endsWith('/init/error') ? 'init' : 'exit');
        return;
      default:
        drain(req);
        sendJson(res, 404, { errorMessage: `Unknown path ${path}`, errorType: 'InvalidRequest' });
    }
  }

  #runtimeNext(req: IncomingMessage, res: ServerResponse): void {
    drain(req);
    const invocation = this.#queue.shift();
    if (invocation) {
      this.#write(res, invocation);
      return;
    }
    this.#pollers.push(res);
    res.once('close', () => {
      if (this.#pollers.includes(res)) this.#options.listener.changed();
    });
    this.#options.listener.changed();
  }
  async #runtimeAnswer(req: IncomingMessage, res: ServerResponse, requestId: string, kind: 'response' | 'error'): Promise<void> {
    const refusal = this.#refuseAnswer(requestId);
    if (refusal) {
      drain(req);
      sendJson(res, refusal.status, refusal.body);
      return;
    }
    const mode = header(req, 'lambda-runtime-function-response-mode');
    if (kind === 'response' && mode !== undefined && mode !== 'streaming') {
      drain(req);
      this.#answer(requestId, {
        kind: 'error',
        error: { errorType: 'Runtime.InvalidResponseModeHeader', errorMessage: `Invalid Lambda-Runtime-Function-Response-Mode: ${mode}` },
      });
      sendJson(res, 400, { errorMessage: 'Invalid function response mode', errorType: 'InvalidFunctionResponseMode' });
      return;
    }
    const streaming = mode === 'streaming';
    const { body, tooLarge } = await readBody(req, streaming ? maxStreamingResponseBytes : maxResponsePayloadBytes);
    const late = this.#refuseAnswer(requestId);
    if (late) {
      sendJson(res, late.status, late.body);
      return;
    }
    if (kind === 'error') {
      this.#answer(requestId, { kind: 'error', error: parseError(body, header(req, 'lambda-runtime-function-error-type')) });
    } else if (tooLarge) {
      const limit = streaming ? maxStreamingResponseBytes : maxResponsePayloadBytes;
      this.#answer(requestId, {
        kind: 'too-large',
        error: { errorType: 'Function.ResponseSizeTooLarge', errorMessage: `Response payload size exceeded maximum allowed payload size (${limit} bytes).` },
      });
      sendJson(res, 413, { errorMessage: `Exceeded maximum allowed payload size (${limit} bytes).`, errorType: 'RequestEntityTooLarge' });
      return;
    } else {
      // A streamed response reports a failure mid-stream in its trailers.
      const errorType = streaming ? req.trailers['lambda-runtime-function-error-type'] : undefined;
      if (errorType) {
        const encoded = req.trailers['lambda-runtime-function-error-body'];
        this.#answer(requestId, { kind: 'error', error: parseError(Buffer.from(encoded ?? '', 'base64'), errorType) });
      } else {
        this.#answer(requestId, { kind: 'response', body, contentType: header(req, 'content-type'), streaming });
      }
    }
    sendJson(res, 202, { status: 'OK' });
  }

  #refuseAnswer(requestId: string): { status: number; body: LambdaError } | undefined {
    const state = this.#invocations.get(requestId);
    if (state === undefined) return { status: 400, body: { errorMessage: 'Invalid request ID', errorType: 'InvalidRequestID' } };
    if (state === 'answered') {
      return {
        status: 403,
        body: { errorMessage: 'State transition from RuntimeResponseSent to RuntimeResponseSent failed for runtime.', errorType: 'InvalidStateTransition' },
      };
    }
    return undefined;
  }

  #answer(requestId: string, answer: RuntimeAnswer): void {
    this.#invocations.set(requestId, 'answered');
    this.#options.listener.answered(requestId, answer);
  }

  async #runtimeInitError(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { body } = await readBody(req, maxControlBodyBytes);
    if (!this.initPhase) {
      sendJson(res, 403, { errorMessage: 'State transition from Ready to InitError failed for runtime.', errorType: 'InvalidStateTransition' });
      return;
    }
    sendJson(res, 202, { status: 'OK' });
    this.#options.listener.initError(parseError(body, header(req, 'lambda-runtime-function-error-type')));
  }
}
