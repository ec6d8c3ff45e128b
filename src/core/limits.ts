/**
 * The limits the validators enforce. Lengths are measured in UTF-8 bytes: the Perkamo docs say
 * "characters" but the PHP SDK measures bytes, and a value within the byte limit is within both.
 */
export const limits = {
  userIdBytes: 256,
  eventBytes: 128,
  transactionIdBytes: 256,
  /** Nesting of objects and arrays inside `context` or `traits`; the object itself is level 1. */
  maxDepth: 8,
  /** One event's (or one identify call's) JSON body. 100 of them stay well under Lambda's 6 MB payload. */
  maxPayloadBytes: 32 * 1024,
  batchMaxEvents: 100,
  browserTokenTtlSeconds: { min: 1, max: 1800 },
  transactionIdPrefixBytes: 64,
} as const;

/** Top-level context keys that only Perkamo computes; compared case-insensitively. */
export const reservedContextKeys: readonly string[] = [
  'xp',
  'wallet',
  'wallets',
  'rewards',
  'level',
  'perks',
  'achievements',
];

/** Keys refused at any depth: they reach Object.prototype when a receiver merges objects naively. */
export const prototypeKeys: readonly string[] = ['__proto__', 'constructor', 'prototype'];
