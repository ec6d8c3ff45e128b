export { PerkamoError, PerkamoValidationError, isTimeoutError } from './errors.ts';
export { limits, reservedContextKeys, prototypeKeys } from './limits.ts';
export { describeType, isPlainObject, toJsonObject, type JsonObject, type JsonPrimitive, type JsonValue } from './json-value.ts';
export {
  assertSafeEventInput,
  assertEventContext,
  assertIdentifier,
  assertIsoDateTime,
  assertUserId,
  normalizeTraits,
  toBatchEvents,
  toIdentifyBody,
  toOccurredAt,
  utf8Length,
  type PerkamoContextValue,
  type PerkamoCustomerTraitValue,
  type PerkamoCustomerTraits,
  type PerkamoEventContext,
  type PerkamoEventInput,
  type PerkamoIdentifyInput,
} from './validation.ts';
export { canonicalJson, byCodePoint } from './canonical-json.ts';
export { createTransactionId } from './transaction-id.ts';
export { signRequest, verifySignature, type SignRequestInput, type SignedHeaders } from './signing.ts';
