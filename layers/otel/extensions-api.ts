// A client of Lambda's Extensions API (2020-01-01) for the one internal extension the layer
// registers. node:http, not fetch: the runtime client loads node:http anyway, while the first
// fetch() loads undici — milliseconds of cold start for two small requests. Imported when first
// used, so that a process without the Runtime API (local runs, tests) never pays for it.
import type { Agent } from 'node:http';

export interface ExtensionEvent {
  eventType?: string;
  /** Epoch milliseconds: the invocation's deadline (INVOKE) or the shutdown's (SHUTDOWN). */
  deadlineMs?: number;
  requestId?: string;
}

/** Registration answers and events are small JSON documents: anything larger is not one. */
const maxBodyBytes = 64 * 1024;

export class ExtensionsApi {
  readonly #base: string;
  #http: Promise<{ agent: Agent; request: typeof import('node:http').request }> | undefined;
  #id: string | undefined;

  constructor(runtimeApi: string) {
    this.#base = `http://${runtimeApi}/2020-01-01/extension`;
  }

  /** Registers `name` for `events`; rejects with what the API answered when it refuses. */
  async register(name: string, events: readonly string[]): Promise<void> {
    const body = JSON.stringify({ events });
    const answer = await this.#call('POST', '/register', {
      'lambda-extension-name': name,
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(body)),
    }, body);
    const id = answer.headers['lambda-extension-identifier'];
    if (answer.status !== 200 || typeof id !== 'string' || !id) {
      throw new Error(`the Extensions API answered ${answer.status} to the registration`);
    }
    this.#id = id;
  }

  /** The next event (a long poll: it waits while Lambda has none for this extension). */
  async next(): Promise<ExtensionEvent> {
    if (!this.#id) throw new Error('the extension is not registered');
    const answer = await this.#call('GET', '/event/next', { 'lambda-extension-identifier': this.#id });
    if (answer.status !== 200) throw new Error(`the Extensions API answered ${answer.status} to event/next`);
    const event = JSON.parse(answer.body) as unknown;
    return event && typeof event === 'object' ? (event as ExtensionEvent) : {};
  }

  async #call(method: string, path: string, headers: Record<string, string>, body?: string) {
    // One kept-alive socket: the extension has at most one request open at a time.
    this.#http ??= import('node:http').then(({ Agent, request }) => ({ agent: new Agent({ keepAlive: true, maxSockets: 1 }), request }));
    const { agent, request } = await this.#http;
    return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }>((resolve, reject) => {
      const req = request(`${this.#base}${path}`, { method, headers, agent }, (res) => {
        const chunks: Buffer[] = [];
        let bytes = 0;
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          if (bytes > maxBodyBytes) return req.destroy(new Error(`the Extensions API answered more than ${maxBodyBytes} bytes`));
          chunks.push(chunk);
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
  }
}
