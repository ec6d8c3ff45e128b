/**
 * Lambda's Extensions API (2020-01-01), answered as RAPID answers it: registration (init phase
 * only), the `event/next` long poll that delivers INVOKE and SHUTDOWN events, and the init/exit
 * error reports. It keeps who is registered and who waits on `next`; the requests reach it through
 * runtime-api.ts's server, the one AWS_LAMBDA_RUNTIME_API names.
 *
 * POST /2020-01-01/extension/register, GET …/extension/event/next (long poll),
 * POST …/extension/init/error, POST …/extension/exit/error.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody } from '../../src/emulator/http-body.ts';
import { drain, header, isOpen, maxControlBodyBytes, parseError, sendJson } from './api-http.ts';
import type { LambdaError } from './types.ts';

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

export interface ExtensionsApiListener {
  /** A runtime or extension began (or stopped) waiting on `next`, or an extension registered. */
  changed(): void;
  extensionError(extension: RegisteredExtension, phase: 'init' | 'exit', error: LambdaError): void;
}

export interface ExtensionsApiOptions {
  functionName: string;
  handler: string;
  accountId: string;
  listener: ExtensionsApiListener;
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class ExtensionsApi {
  /** Extension registration is open (Lambda: during the init phase only). */
  registrationOpen = false;
  /** The names of the external extensions the environment started (an extension's name is its file name). */
  externalNames: ReadonlySet<string> = new Set();
  /** Fault injection: this many of the next extension `event/next` requests lose their connection unanswered. */
  dropPolls = 0;

  readonly #options: ExtensionsApiOptions;
  #extensions = new Map<string, ExtensionRecord>();

  constructor(options: ExtensionsApiOptions) {
    this.#options = options;
  }

  registered(): RegisteredExtension[] {
    return [...this.#extensions.values()];
  }

  /** Every registered extension waits on `next` with nothing left to receive. */
  allWaiting(): boolean {
    for (const extension of this.#extensions.values()) {
      if (!extension.poll || !isOpen(extension.poll) || extension.queue.length > 0) return false;
    }
    return true;
  }

  /** Sends an event to an extension's `next`, or queues it for its next call. */
  send(extension: RegisteredExtension, event: ExtensionEvent): void {
    const record = this.#extensions.get(extension.id);
    if (!record) return;
    const poll = record.poll;
    record.poll = undefined;
    if (poll && isOpen(poll)) writeExtensionEvent(poll, event);
    else record.queue.push(event);
  }

  /** Forgets every extension (their processes are gone) and closes registration. */
  reset(): void {
    for (const extension of this.#extensions.values()) extension.poll?.destroy();
    this.#extensions.clear();
    this.registrationOpen = false;
  }

  async register(req: IncomingMessage, res: ServerResponse): Promise<void> {
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

  next(req: IncomingMessage, res: ServerResponse): void {
    drain(req);
    const extension = this.#identify(req, res);
    if (!extension) return;
    if (this.dropPolls > 0) {
      this.dropPolls--;
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

  async error(req: IncomingMessage, res: ServerResponse, phase: 'init' | 'exit'): Promise<void> {
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

function writeExtensionEvent(res: ServerResponse, event: ExtensionEvent): void {
  sendJson(res, 200, event, { 'Lambda-Extension-Event-Identifier': randomUUID() });
}
