import type { JsonObject, JsonValue, PerkamoCustomerTraits, PerkamoEventContext } from '../core/index.ts';

/** Names as the official @perkamo/sdk-core types them; shapes from docs/perkamo-api.md. */
export interface WalletDelta {
  wallet: string;
  amount: number;
}

export interface PerkamoUnlockedPerk {
  type: string;
  key: string;
  name: string;
}

/** Level state on one wallet. camelCase inside, as the API sends it. */
export interface PerkamoLevel {
  wallet: string;
  level: number;
  current: number;
  currentLevelAt: number;
  nextLevelAt: number | null;
  progress: number;
}

export interface EventIngestResponse {
  applied: boolean;
  /** True when Perkamo had already applied this transaction_id: a success, nothing changed. */
  duplicate: boolean;
  delta: WalletDelta[];
  leveled_up: boolean;
  unlocked: PerkamoUnlockedPerk[];
  wallet_state: Record<string, number>;
  level?: PerkamoLevel | null;
  /** Set on a batch item that Perkamo refused (the emulator uses it for transaction id conflicts). */
  error?: { code?: string; message: string };
}

export interface BatchIngestResponse {
  /** One result per input event, in input order. */
  results: EventIngestResponse[];
}

/** The API does not document the identify answer; fields are whatever Perkamo returns. */
export type IdentifyResponse = JsonObject;

export interface PerkamoCustomerFlags {
  perks: Record<string, boolean>;
  [flag: string]: unknown;
}

export interface PerkamoCustomer {
  user_id: string;
  traits: Record<string, JsonValue>;
  wallets: Record<string, number>;
  level: PerkamoLevel | null;
  perks: JsonObject[];
  flags: PerkamoCustomerFlags;
  [field: string]: unknown;
}

export interface PerkamoProgramEvent {
  event: string;
  title?: string;
  [field: string]: unknown;
}

export interface PerkamoProgramBlueprint {
  earningRules?: PerkamoProgramEvent[] | Record<string, PerkamoProgramEvent>;
  [field: string]: unknown;
}

export interface PerkamoProgram {
  blueprint?: PerkamoProgramBlueprint;
  [field: string]: unknown;
}

export interface BrowserToken {
  token: string;
  token_type: 'Bearer';
  expires_at: string;
  expires_in: number;
}

/** One event for `batch()`: the wire shape, with an explicit transaction_id. */
export interface PerkamoBatchEvent {
  user_id: string;
  event: string;
  transaction_id: string;
  context?: PerkamoEventContext;
  occurred_at?: string | Date;
}

export type { PerkamoCustomerTraits, PerkamoEventContext };
