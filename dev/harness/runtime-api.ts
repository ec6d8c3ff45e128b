/**
 * Lambda's Runtime API (2018-06-01) and Extensions API (2020-01-01) on 127.0.0.1, answered as RAPID
 * answers them (status codes, error types, headers). This file speaks the protocol and keeps who is
 * waiting on `next`; when an invocation starts, completes or fails is environment.ts's business.
 *
 * Runtime API: GET /2018-06-01/runtime/invocation/next (long poll), POST …/invocation/{id}/response,
 * POST …/invocation/{id}/error, POST /2018-06-01/runtime/init/error.
 * Extensions API: POST /2020-01-01/extension/register, GET …/extension/event/next (long poll),
 * POST …/extension/init/error, POST …/extension/exit/error.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { readBody } from '../../src/emulator/http-body.ts';
import type { LambdaError } from './types.ts';

/** A synchronous invocation's request payload limit. */
export const maxInvokePayloadBytes = 6 * 1024 * 1024;
/** A buffered response's limit (Lambda: "maximum allowed payload size (6291556 bytes)"). */
export const maxResponsePayloadBytes = 6 * 1024 * 1024 + 100;
/** A streamed response's limit. */
export const maxStreamingResponseBytes = 20 * 1024 * 1024;
/** Registration, error reports: small JSON documents. */
const maxControlBodyBytes = 1024 * 1024;

export interface Invocation {
  requestId: string;
  /** The event, as JSON. */
  payload: Buffer;
  /** Epoch milliseconds. */
  deadlineMs: number;
  invokedFunctionArn: string;
  traceHeader: string | null;
  clientContext?: string;
  cognitoIdentity?: string;
}

/** What the runtime posted for an invocation. */
export type RuntimeAnswer =
  | { kind: 'response'; body: Buffer; contentType: string | undefined; streaming: boolean }
  | { kind: 'error'; error: LambdaError }
  | { kind: 'too-large'; error: LambdaError };

export type ExtensionEvent =
  | {
      eventType: 'INVOKE';
      deadlineMs: number;
      requestId: string;
      invokedFunctionArn: string;
      tracing?: { type: 'X-Amzn-Trace-Id'; value: string };
    }
  | { eventType: 'SHUTDOWN'; shutdownReason: 'spindown' | 'timeout' | 'failure'; deadlineMs: number };

export interface RegisteredExtension {
  readonly id: string;
  readonly name: string;
  /** Started by the harness (an `extensions` executable), not registered from the function's process. */
  readonly external: boolean;
  readonly events: ReadonlySet<'INVOKE' | 'SHUTDOWN'>;
}

interface ExtensionRecord extends RegisteredExtension {
  poll: ServerResponse | undefined;
  queue: ExtensionEvent[];
}

export interface RuntimeApiListener {
  /** A runtime or extension began (or stopped) waiting on `next`, or an extension registered. */
  changed(): void;
  /** The invocation was handed to a runtime's `next`. */
  delivered(requestId: string): void;
  answered(requestId: string, answer: RuntimeAnswer): void;
  initError(error: LambdaError): void;
  extensionError(extension: RegisteredExtension, phase: 'init' | 'exit', error: LambdaError): void;
}

export interface RuntimeApiOptions {
  functionName: string;
  handler: string;
  accountId: string;
  listener: RuntimeApiListener;
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const invocationPath = /^\/2018-06-01\/runtime\/invocation\/([^/]+)\/(response|error)$/;

export class RuntimeApi {
  /** Extension registration is open (Lambda: during the init phase only). */
  registrationOpen = false;
  /** The runtime may post /init/error (during the init phase). */
  initPhase = false;
  /** The names of the external extensions the environment started (an extension's name is its file name). */
  externalNames: ReadonlySet<string> = new Set();
  /** Fault injection: this many of the next extension `event/next` requests lose their connection unanswered. */
  dropExtensionPolls = 0;

  readonly #options: RuntimeApiOptions;
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  #address = '';
  #pollers: ServerResponse[] = [];
  #queue: Invocation[] = [];
  /** Invocations that may still be answered: 'open' until the runtime posts a response or an error. */
  #invocations = new Map<string, 'open' | 'answered'>();
  #extensions = new Map<string, ExtensionRecord>();

  constructor(options: RuntimeApiOptions) {
    this.#options = options;
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

  extensions(): RegisteredExtension[] {
    return [...this.#extensions.values()];
  }

  /** Every registered extension waits on `next` with nothing left to receive. */
  extensionsWaiting(): boolean {
    for (const extension of this.#extensions.values()) {
      if (!extension.poll || !isOpen(extension.poll) || extension.queue.length > 0) return false;
    }
    return true;
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

  /** Sends an event to an extension's `next`, or queues it for its next call. */
  sendToExtension(extension: RegisteredExtension, event: ExtensionEvent): void {
    const record = this.#extensions.get(extension.id);
    if (!record) return;
    const poll = record.poll;
    record.poll = undefined;
    if (poll && isOpen(poll)) writeExtensionEvent(poll, event);
    else record.queue.push(event);
  }

  /** Forgets everything of the environment's processes (they are gone): waits, queues, extensions. */
  reset(): void {
    for (const poller of this.#pollers) poller.destroy();
    for (const extension of this.#extensions.values()) extension.poll?.destroy();
    this.#pollers = [];
    this.#queue = [];
    this.#invocations.clear();
    this.#extensions.clear();
    this.registrationOpen = false;
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
        if (expect('POST')) await this.#register(req, res);
        return;
      case '/2020-01-01/extension/event/next':
        if (expect('GET')) this.#extensionNext(req, res);
        return;
      case '/2020-01-01/extension/init/error':
      case '/2020-01-01/extension/exit/error':
        if (expect('POST')) await this.#extensionError(req, res, path.endsWith('/init/error') ? 'init' : 'exit');
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

  async #register(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { body, tooLarge } = await readBody(req, maxControlBodyBytes);
    const forbid = (errorType: string, errorMessage: string) => sendJson(res, 403, { errorMessage, errorType });
    const name = header(req, 'lambda-extension-name');
    if (!name) return forbid('Extension.InvalidExtensionName', 'Empty extension name');
    let events: unknown;
    try {
      if (tooLarge) throw new Error('request too large');
      events = (JSON.parse(body.toString('utf8')) as { events?: unknown }).events ?? [];
      if (!Array.isArray(events)) throw new Error('events must be an array');
    } catch (error) {
      return forbid('InvalidRequestFormat', (error as Error).message);
    }
    const known = [...this.#extensions.values()].some((extension) => extension.name === name);
    const external = this.externalNames.has(name) && !known;
    const subscribed = new Set<'INVOKE' | 'SHUTDOWN'>();
    for (const event of events as unknown[]) {
      if (event === 'INVOKE' || (event === 'SHUTDOWN' && external)) subscribed.add(event);
      else if (event === 'SHUTDOWN') return forbid('Extension.InvalidEventType', 'SHUTDOWN: ShutdownEventNotSupportedForInternalExtension');
      else return forbid('Extension.InvalidEventType', `${String(event)}: ErrorInvalidEventType`);
    }
    if (!this.registrationOpen) return forbid('Extension.RegistrationClosed', 'Extension registration closed already');
    if (known) return forbid('Extension.InvalidExtensionState', 'Extension with this name already registered');
    if (this.#extensions.size >= 10) return forbid('Extension.TooManyExtensions', 'Extension limit (10) reached');
    const id = randomUUID();
    this.#extensions.set(id, { id, name, external, events: subscribed, poll: undefined, queue: [] });
    const answer: Record<string, string> = { functionName: this.#options.functionName, functionVersion: '$LATEST', handler: this.#options.handler };
    const features = (header(req, 'lambda-extension-accept-feature') ?? '').split(',').map((feature) => feature.trim());
    if (features.includes('accountId')) answer.accountId = this.#options.accountId;
    sendJson(res, 200, answer, { 'Lambda-Extension-Identifier': id });
    this.#options.listener.changed();
  }

  #extensionNext(req: IncomingMessage, res: ServerResponse): void {
    drain(req);
    const extension = this.#identify(req, res);
    if (!extension) return;
    if (this.dropExtensionPolls > 0) {
      this.dropExtensionPolls--;
      res.socket?.destroy();
      return;
    }
    extension.poll?.destroy();
    const event = extension.queue.shift();
    if (event) {
      extension.poll = undefined;
      writeExtensionEvent(res, event);
    } else {
      extension.poll = res;
      res.once('close', () => {
        if (extension.poll === res) {
          extension.poll = undefined;
          this.#options.listener.changed();
        }
      });
    }
    this.#options.listener.changed();
  }

  async #extensionError(req: IncomingMessage, res: ServerResponse, phase: 'init' | 'exit'): Promise<void> {
    const { body } = await readBody(req, maxControlBodyBytes);
    const extension = this.#identify(req, res);
    if (!extension) return;
    const errorType = header(req, 'lambda-extension-function-error-type');
    if (!errorType) {
      sendJson(res, 403, { errorMessage: 'Lambda-Extension-Function-Error-Type not found', errorType: 'Extension.MissingHeader' });
      return;
    }
    sendJson(res, 202, { status: 'OK' });
    const reported = parseError(body, errorType);
    this.#options.listener.extensionError(extension, phase, {
      ...reported,
      errorType,
      errorMessage: reported.errorMessage || `Extension ${extension.name} reported ${phase}/error ${errorType}`,
    });
  }

  #identify(req: IncomingMessage, res: ServerResponse): ExtensionRecord | undefined {
    const id = header(req, 'lambda-extension-identifier');
    const forbid = (errorType: string, errorMessage: string) => {
      sendJson(res, 403, { errorMessage, errorType });
      return undefined;
    };
    if (!id) return forbid('Extension.MissingExtensionIdentifier', 'Missing Lambda-Extension-Identifier header');
    if (!uuidPattern.test(id)) return forbid('Extension.InvalidExtensionIdentifier', 'Invalid Lambda-Extension-Identifier');
    return this.#extensions.get(id) ?? forbid('Extension.UnknownExtensionIdentifier', `Unknown extension ${id}`);
  }
}

function isOpen(res: ServerResponse): boolean {
  return !res.destroyed && !res.writableEnded && !res.socket?.destroyed;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function writeExtensionEvent(res: ServerResponse, event: ExtensionEvent): void {
  sendJson(res, 200, event, { 'Lambda-Extension-Event-Identifier': randomUUID() });
}

function drain(req: IncomingMessage): void {
  req.resume();
}

/** An error body (`{errorType, errorMessage, trace | stackTrace}`), whatever the runtime sent. */
function parseError(body: Buffer, headerType: string | undefined): LambdaError {
  let parsed: { errorType?: unknown; errorMessage?: unknown; trace?: unknown; stackTrace?: unknown } = {};
  try {
    const value: unknown = JSON.parse(body.toString('utf8'));
    if (value && typeof value === 'object') parsed = value as typeof parsed;
  } catch {
    parsed = { errorMessage: body.toString('utf8') };
  }
  const error: LambdaError = {
    // The caller sees the body; the header is only Lambda's classification (aws-lambda-ric's native
    // client does not even send it for invocation errors).
    errorType: typeof parsed.errorType === 'string' ? parsed.errorType : (headerType ?? 'Runtime.Unknown'),
    errorMessage: typeof parsed.errorMessage === 'string' ? parsed.errorMessage : '',
  };
  const stack = Array.isArray(parsed.stackTrace) ? parsed.stackTrace : parsed.trace;
  if (Array.isArray(stack)) error.stackTrace = stack.map(String);
  return error;
}
