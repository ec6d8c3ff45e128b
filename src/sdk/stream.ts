import { PerkamoApiError, PerkamoNetworkError } from './errors.ts';
import { encodePathSegment } from './paths.ts';
import { rateLimitOf, requestIdFromHeaders, retryAfterOf } from './response-meta.ts';
import type { PerkamoFetch } from './transport.ts';
import type { PerkamoCustomer } from './types.ts';
import { userAgent } from './version.ts';

export interface CustomerSubscription {
  close(): void;
}

/**
 * Server-Sent Events client for `GET /v1/client/customer/{user_id}/stream` (the stream protocol
 * is defined by our emulator; Perkamo has not published its own). Each `customer` event carries a
 * full customer snapshot. The connection is re-opened after the server's `retry:` delay when it
 * drops; 4xx answers (expired token, wrong user) end the subscription, since retrying the same
 * token cannot succeed.
 */
export function subscribeCustomer(
  client: { baseUrl: string; fetch: PerkamoFetch },
  userId: string,
  streamToken: string,
  onCustomer: (customer: PerkamoCustomer) => void,
  onError?: (error: Error) => void,
): CustomerSubscription {
  const controller = new AbortController();
  let reconnectMs = 2000;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const url = `${client.baseUrl}/v1/client/customer/${encodePathSegment(userId)}/stream`;

  const report = (error: Error) => {
    if (!controller.signal.aborted) onError?.(error);
  };

  async function connect(): Promise<void> {
    let response: Response;
    try {
      response = await client.fetch(url, {
        method: 'GET',
        headers: { accept: 'text/event-stream', authorization: `Bearer ${streamToken}`, 'user-agent': userAgent },
        signal: controller.signal,
        // The stream token must not follow a redirect to another host.
        redirect: 'manual',
      });
    } catch (error) {
      report(new PerkamoNetworkError('stream', error));
      return scheduleReconnect();
    }
    if (!response.ok || !response.body) {
      const text = await response.text().catch(() => '');
      let body: unknown = text || undefined;
      try {
        body = JSON.parse(text);
      } catch {
        // keep the raw text
      }
      report(
        new PerkamoApiError({
          status: response.status,
          body,
          requestId: requestIdFromHeaders(response.headers),
          retryAfter: retryAfterOf(response.headers),
          rateLimit: rateLimitOf(response.headers),
        }),
      );
      if (response.status >= 400 && response.status < 500 && response.status !== 429) return close();
      return scheduleReconnect();
    }
    try {
      await readEvents(response.body, (event, data) => {
        if (event !== 'customer') return;
        try {
          onCustomer(JSON.parse(data) as PerkamoCustomer);
        } catch (error) {
          report(error instanceof Error ? error : new Error(String(error)));
        }
      }, (ms) => {
        reconnectMs = ms;
      });
    } catch (error) {
      if (controller.signal.aborted) return;
      report(new PerkamoNetworkError('stream', error));
    }
    scheduleReconnect();
  }

  function scheduleReconnect(): void {
    if (controller.signal.aborted) return;
    timer = setTimeout(() => void connect(), reconnectMs);
  }

  function close(): void {
    clearTimeout(timer);
    controller.abort();
  }

  void connect();
  return { close };
}

/** Parses an SSE byte stream: dispatches (event, data) on each blank line; honours `retry:`. */
export async function readEvents(
  body: ReadableStream<Uint8Array>,
  onEvent: (event: string, data: string) => void,
  onRetry: (ms: number) => void,
): Promise<void> {
  const decoder = new TextDecoder();
  let buffer = '';
  let event = '';
  let data: string[] = [];
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let newline: number;
    while ((newline = buffer.search(/\r\n|\r|\n/)) >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + (buffer.startsWith('\r\n', newline) ? 2 : 1));
      if (line === '') {
        if (data.length > 0) onEvent(event || 'message', data.join('\n'));
        event = '';
        data = [];
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
      else if (field === 'retry' && /^\d+$/.test(value)) onRetry(Number(value));
    }
  }
}
