// OTLP's partial success: a collector that takes an export but drops some of its spans answers 2xx
// with `partial_success { rejected_spans, error_message }` in its ExportTraceServiceResponse —
// protobuf or JSON, as the request was. Those spans are gone (OTLP: do not resend them); the
// exporter says how many and why instead of counting them delivered. Part of otel-export.mjs.

export interface PartialSuccess {
  rejected: number;
  /** The collector's words, unquoted and unbounded: the caller bounds and redacts them. */
  message: string;
}

/** The partial success an answer's body reports, or undefined when it rejected nothing (or is not one). */
export function partialSuccessOf(body: Buffer, json: boolean): PartialSuccess | undefined {
  const found = json ? fromJson(body) : fromProtobuf(body);
  return found && found.rejected > 0 ? found : undefined;
}

function fromJson(body: Buffer): PartialSuccess | undefined {
  let answer: unknown;
  try {
    answer = JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
  const partial = (answer as Record<string, unknown> | null)?.partialSuccess ?? (answer as Record<string, unknown> | null)?.partial_success;
  if (typeof partial !== 'object' || partial === null) return undefined;
  const { rejectedSpans, rejected_spans, errorMessage, error_message } = partial as Record<string, unknown>;
  // int64 is a string in proto3's JSON mapping; some collectors write a number.
  const rejected = Number(rejectedSpans ?? rejected_spans ?? 0);
  const message = errorMessage ?? error_message;
  return { rejected: Number.isSafeInteger(rejected) ? rejected : 0, message: typeof message === 'string' ? message : '' };
}

/** ExportTraceServiceResponse: field 1 partial_success { field 1 rejected_spans (varint), field 2 error_message (string) }. */
function fromProtobuf(body: Buffer): PartialSuccess | undefined {
  const partial = fields(body).find((f) => f.number === 1 && f.bytes);
  if (!partial?.bytes) return undefined;
  let rejected = 0;
  let message = '';
  for (const f of fields(partial.bytes)) {
    if (f.number === 1 && f.varint !== undefined) rejected = f.varint;
    else if (f.number === 2 && f.bytes) message = f.bytes.toString('utf8');
  }
  // A negative int64 is ten bytes of varint, beyond a safe integer: no count.
  return { rejected: Number.isSafeInteger(rejected) ? rejected : 0, message };
}

interface Field {
  number: number;
  varint?: number;
  bytes?: Buffer;
}

/** The fields of a protobuf message; stops at the first malformed one. */
function fields(data: Buffer): Field[] {
  const out: Field[] = [];
  let at = 0;
  const varint = (): number | undefined => {
    let value = 0;
    for (let shift = 0; shift < 64 && at < data.length; shift += 7) {
      const byte = data[at++]!;
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return value;
    }
    return undefined;
  };
  while (at < data.length) {
    const key = varint();
    if (key === undefined) break;
    const number = Math.floor(key / 8);
    const wire = key % 8;
    if (wire === 0) {
      const value = varint();
      if (value === undefined) break;
      out.push({ number, varint: value });
    } else if (wire === 2) {
      const length = varint();
      if (length === undefined || at + length > data.length) break;
      out.push({ number, bytes: data.subarray(at, at + length) });
      at += length;
    } else if (wire === 1) at += 8;
    else if (wire === 5) at += 4;
    else break;
  }
  return out;
}
