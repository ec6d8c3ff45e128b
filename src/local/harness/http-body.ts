// The harness's loopback servers (Runtime API, OTLP receiver, Secrets Manager) read request bodies
// through this one bounded reader: a client that sends too much gets refused, never buffered.
import type { IncomingMessage } from 'node:http';

export /** Reads a body up to `limit` bytes; past it, the rest is read and dropped. */
function readBody(req: IncomingMessage, limit: number): Promise<{ body: Buffer; tooLarge: boolean }> {
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
