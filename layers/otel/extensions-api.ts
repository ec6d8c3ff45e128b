// A client of Lambda's Extensions API (2020-01-01) for the one internal extension the layer
// registers. Plain HTTP/1.1 over node:net, one connection per request (`Connection: close`), not
// node:http or fetch: the registration is part of every cold start, and the first request of
// node:http costs about 6 ms there (its client code compiled on first use), of fetch about 15 ms
// (undici loaded), of a socket about 3 ms. A connection per request also means no kept-alive
// socket can go stale while Lambda freezes the environment. The API is Lambda's own, on loopback:
// its answers are small, with a Content-Length or chunked; anything else is refused.
import type { Socket } from 'node:net';

export interface ExtensionEvent {
  eventType?: string;
  /** Epoch milliseconds: the invocation's deadline (INVOKE) or the shutdown's (SHUTDOWN). */
  deadlineMs?: number;
  requestId?: string;
}

interface Answer {
  status: number;
  /** Lower-case names. */
  headers: Map<string, string>;
  body: string;
}

/** Registration answers and events are small JSON documents: anything larger is not one. */
const maxAnswerBytes = 64 * 1024;

export class ExtensionsApi {
  readonly #host: string;
  readonly #port: number;
  #id: string | undefined;

  constructor(runtimeApi: string) {
    const colon = runtimeApi.lastIndexOf(':');
    this.#host = runtimeApi.slice(0, colon).replace(/^\[|\]$/g, '');
    this.#port = Number(runtimeApi.slice(colon + 1));
    if (colon < 1 || !Number.isInteger(this.#port) || this.#port <= 0 || this.#port > 65535) {
      throw new Error(`AWS_LAMBDA_RUNTIME_API "${runtimeApi}" is not host:port`);
    }
  }

  /** Registers `name` for `events`; rejects with what the API answered when it refuses. */
  async register(name: string, events: readonly string[]): Promise<void> {
    const answer = await this.#call('POST', '/2020-01-01/extension/register', { 'Lambda-Extension-Name': name, 'Content-Type': 'application/json' }, JSON.stringify({ events }));
    const id = answer.headers.get('lambda-extension-identifier');
    if (answer.status !== 200 || !id) throw new Error(`the Extensions API answered ${answer.status} to the registration`);
    this.#id = id;
  }

  /**
   * The next event (a long poll: it waits while Lambda has none for this extension). `readAfter`:
   * the answer is not read before it settles — its bytes wait in the kernel, and the process is not
   * woken for them when the invocation starts (Lambda sends the event then).
   */
  async next(readAfter?: Promise<unknown>): Promise<ExtensionEvent> {
    if (!this.#id) throw new Error('the extension is not registered');
    const answer = await this.#call('GET', '/2020-01-01/extension/event/next', { 'Lambda-Extension-Identifier': this.#id }, '', readAfter);
    if (answer.status !== 200) throw new Error(`the Extensions API answered ${answer.status} to event/next`);
    const event = JSON.parse(answer.body) as unknown;
    return event && typeof event === 'object' ? (event as ExtensionEvent) : {};
  }

  async #call(method: string, path: string, headers: Record<string, string>, body = '', readAfter?: Promise<unknown>): Promise<Answer> {
    const { connect } = await import('node:net');
    const request =
      `${method} ${path} HTTP/1.1\r\nHost: ${this.#host}:${this.#port}\r\nConnection: close\r\n` +
      Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('') +
      (method === 'POST' ? `Content-Length: ${Buffer.byteLength(body)}\r\n` : '') +
      `\r\n${body}`;
    return new Promise<Answer>((resolve, reject) => {
      let received = Buffer.alloc(0);
      // Read into a buffer of our own (`onread`): only such a socket stops reading from the kernel
      // when paused (a plain one keeps filling its stream's buffer).
      const onread = {
        buffer: Buffer.allocUnsafe(4096),
        callback: (bytes: number, buffer: Uint8Array) => {
          received = Buffer.concat([received, buffer.subarray(0, bytes)]);
          if (received.length > maxAnswerBytes) socket.destroy(new Error(`the Extensions API answered more than ${maxAnswerBytes} bytes`));
          else settle(false);
          return true;
        },
      };
      // Not end(): a half-closed connection reads as a caller that went away to some servers, and
      // the event/next long poll must stay open. The server closes after its answer (Connection: close).
      const socket: Socket = connect({ port: this.#port, host: this.#host, onread }, () => {
        socket.write(request);
        if (readAfter) {
          // Paused before its first read: the answer stays in the kernel until readAfter settles.
          socket.pause();
          const read = () => void socket.resume();
          readAfter.then(read, read);
        }
      });
      /** Resolves once the answer is complete; at the connection's end, or on what is no answer, rejects. */
      const settle = (final: boolean) => {
        try {
          const answer = complete(received, final);
          if (answer) {
            socket.destroy();
            resolve(answer);
          }
        } catch (error) {
          socket.destroy();
          reject(error);
        }
      };
      socket.on('error', reject);
      socket.on('end', () => settle(true));
    });
  }
}

/**
 * The answer in `raw` once it is complete — its Content-Length read, its last chunk, or (`final`:
 * the connection ended) whatever body came — else undefined. Throws on what is not an HTTP answer.
 */
export function complete(raw: Buffer, final: boolean): Answer | undefined {
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) {
    if (final) throw new Error('the Extensions API closed the connection before a complete answer');
    return undefined;
  }
  const [statusLine = '', ...lines] = raw.subarray(0, end).toString('latin1').split('\r\n');
  const status = /^HTTP\/1\.[01] (\d{3})(?: |$)/.exec(statusLine)?.[1];
  if (!status) throw new Error('the Extensions API answered something other than HTTP/1.1');
  const headers = new Map<string, string>();
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  let body: Buffer | undefined = raw.subarray(end + 4);
  if (headers.get('transfer-encoding')?.toLowerCase() === 'chunked') body = unchunk(body);
  else if (headers.has('content-length')) {
    const length = Number(headers.get('content-length'));
    if (!Number.isInteger(length) || length < 0) throw new Error('the Extensions API answered a malformed Content-Length');
    body = length <= body.length ? body.subarray(0, length) : undefined;
  } else if (!final) body = undefined;
  if (body === undefined) {
    if (final) throw new Error('the Extensions API answered a truncated body');
    return undefined;
  }
  return { status: Number(status), headers, body: body.toString('utf8') };
}

/** The body of a complete chunked encoding, or undefined while its last chunk has not come. */
function unchunk(data: Buffer): Buffer | undefined {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = data.indexOf('\r\n', at);
    if (lineEnd < 0) return undefined;
    const size = Number.parseInt(data.subarray(at, lineEnd).toString('latin1').split(';')[0]!, 16);
    if (!Number.isInteger(size) || size < 0) throw new Error('the Extensions API answered a malformed chunked body');
    if (size === 0) return Buffer.concat(parts);
    const start = lineEnd + 2;
    if (start + size + 2 > data.length) return undefined;
    parts.push(data.subarray(start, start + size));
    at = start + size + 2;
  }
}
