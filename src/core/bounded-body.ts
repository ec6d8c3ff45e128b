// Upstream bodies (Perkamo's answers, a JWKS) are read up to a size: an upstream that sends 50 MB
// must not make a Lambda hold 50 MB, nor pass it on past Lambda's 6 MB answer limit.

/** The body as text, or undefined when it is over `max` bytes (then it is not read further). */
export async function readBounded(response: Response, max: number): Promise<string | undefined> {
  const declared = Number(response.headers.get('content-length'));
  if (response.headers.has('content-length') && Number.isFinite(declared)) {
    // fetch holds a body to its declared length, so a declared size is a bound.
    if (declared <= max) return response.text();
    await response.body?.cancel().catch(() => undefined);
    return undefined;
  }
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => undefined);
      return undefined;
    }
    chunks.push(value);
  }
  // One chunk (most answers) is decoded as it came; several are joined first.
  const bytes = chunks.length === 1 ? (chunks[0] as Uint8Array) : new Uint8Array(size);
  if (chunks.length > 1) {
    let offset = 0;
    for (const chunk of chunks) {
      bytes.set(chunk, offset);
      offset += chunk.byteLength;
    }
  }
  return (decoder ??= new TextDecoder()).decode(bytes);
}

/** Stateless between calls (no `stream` option): one serves every answer. */
let decoder: InstanceType<typeof TextDecoder> | undefined;
