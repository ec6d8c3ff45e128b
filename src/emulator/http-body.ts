// The one bounded request-body reader of every loopback server here: the emulator, the local API
// Gateway and the harness's servers (Runtime API, OTLP receiver, Secrets Manager). A client that
// sends too much gets refused, never buffered. It lives with the emulator, the lowest of them (the
// local stack and the harness import the emulator; product code imports none of them).
import type { IncomingMessage } from 'node:http';

/** Reads a body up to `limit` bytes; past it, the rest is read and dropped. */
export function readBody(req: IncomingMessage, limit: number): Promise<{ body: Buffer; tooLarge: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = Number(req.headers['content-length'] ?? 0) > limit;
    let ended = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) tooLarge = true;
      if (!tooLarge) chunks.push(chunk);
    });
    req.once('end', () => {
      ended = true;
      resolve({ body: tooLarge ? Buffer.alloc(0) : Buffer.concat(chunks), tooLarge });
    });
    req.once('error', reject);
    req.once('close', () => {
      if (!ended) reject(new Error('request aborted'));
    });
  });
}
