import { PerkamoValidationError, isPlainObject } from '../../core/index.ts';
import { carryResponseMeta, type PerkamoCalls } from '../../sdk/index.ts';
import { defineFunction, single } from '../function.ts';
import type { CallContext } from '../invocation.ts';
import { onlyFields, requireObject } from '../payload.ts';

/** How long an answer is held (and browsers may keep it: the cache-control header says the same). */
const holdMs = 60_000;
/** The view is bounded whatever the program holds: a page renders it as is. */
const maxItems = 200;
const maxText = 256;
const maxKey = 128;

/**
 * program: a browser-safe view of the program (`GET /v1/program`) for pages and dashboards — the
 * event catalogue's keys and labels, the wallets, the level ladder and the perks (names,
 * descriptions, what unlocks them). Built from an allow-list of fields, never the raw program:
 * reward amounts and formulas and every field this list does not name stay server-side. Perkamo's
 * program shape is documented for `blueprint.earningRules[].event` only (docs/perkamo-api.md), so
 * every other field is read if present and left out if not. One call serves every caller of the
 * function's environment for 60 s.
 */
export const programFunction = /* @__PURE__ */ defineFunction({
  name: 'program',
  route: 'GET /program',
  scope: undefined,
  triggers: ['http', 'direct'],
  parsePayload: (payload, _defaults, principal) => {
    if (principal) {
      if (payload !== undefined) throw new PerkamoValidationError('', 'unexpected_body', `${programFunction.route} takes no body`);
    } else if (payload !== undefined) onlyFields(requireObject(payload, 'the program request'), [], 'a program request', ' (send {})');
    return [{ kind: 'call', operation: 'program', call: fetchView, held: heldView, origin: {} }];
  },
  toValue: single,
  httpHeaders: { 'cache-control': `private, max-age=${holdMs / 1000}` },
  browser: true,
});

export interface ProgramView {
  events: { event: string; title?: string; description?: string }[];
  wallets: { key: string; name?: string }[];
  levels: { wallet: string; ladder: { level: number; at: number; name?: string }[] } | null;
  perks: { key: string; name?: string; description?: string; unlock?: { event: string } | { wallet: string; at_least: number } }[];
}

/** Per client (one per function environment): the view and until when it is held, or the call in flight. */
const views = new WeakMap<PerkamoCalls, { view?: ProgramView; until: number; pending?: Promise<ProgramView> }>();

function heldView({ client }: CallContext): ProgramView | undefined {
  const held = views.get(client);
  return held?.view && Date.now() < held.until ? held.view : undefined;
}

/** One call for every caller meanwhile: concurrent invocations (Managed Instances) share it. */
function fetchView({ client, deadline }: CallContext): Promise<ProgramView> {
  const held = views.get(client) ?? { until: 0 };
  views.set(client, held);
  held.pending ??= client
    .program({ deadline })
    .then((program) => {
      // The view names the Perkamo request it came from (its span, the answer's header), as a held answer does too.
      held.view = carryResponseMeta(program, programView(program));
      held.until = Date.now() + holdMs;
      return held.view;
    })
    .finally(() => (held.pending = undefined));
  return held.pending;
}

/** The allow-list: only these fields, each a bounded string or number, from whatever Perkamo sent. */
export function programView(program: unknown): ProgramView {
  const root = isPlainObject(program) ? program : {};
  const blueprint = isPlainObject(root.blueprint) ? root.blueprint : {};
  const rules = Array.isArray(blueprint.earningRules) ? blueprint.earningRules : isPlainObject(blueprint.earningRules) ? Object.values(blueprint.earningRules) : [];
  const events = listOf(rules).flatMap((rule) => {
    const event = key(rule.event);
    return event ? [{ event, ...text('title', rule.title ?? rule.label ?? rule.name), ...text('description', rule.description) }] : [];
  });
  const wallets = listOf(root.wallets).flatMap((wallet) => {
    const walletKey = key(wallet.key);
    return walletKey ? [{ key: walletKey, ...text('name', wallet.name) }] : [];
  });
  const levelsIn = isPlainObject(root.levels) ? root.levels : undefined;
  const levelWallet = key(levelsIn?.wallet);
  const levels =
    levelsIn && levelWallet
      ? {
          wallet: levelWallet,
          ladder: listOf(levelsIn.ladder).flatMap((step, i) => (finite(step.at) === undefined ? [] : [{ level: i + 1, at: finite(step.at)!, ...text('name', step.name) }])),
        }
      : null;
  const perks = listOf(root.perks).flatMap((perk) => {
    const perkKey = key(perk.key);
    if (!perkKey) return [];
    const unlockIn = isPlainObject(perk.unlock) ? perk.unlock : {};
    const event = key(unlockIn.event);
    const wallet = key(unlockIn.wallet);
    const atLeast = finite(unlockIn.atLeast ?? unlockIn.at_least);
    const unlock = event ? { event } : wallet && atLeast !== undefined ? { wallet, at_least: atLeast } : undefined;
    return [{ key: perkKey, ...text('name', perk.name), ...text('description', perk.description), ...(unlock && { unlock }) }];
  });
  return { events, wallets, levels, perks };
}

const listOf = (value: unknown): Record<string, unknown>[] => (Array.isArray(value) ? value.slice(0, maxItems).filter(isPlainObject) : []);
const key = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' && value.length <= maxKey ? value : undefined);
const finite = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);
function text<K extends string>(name: K, value: unknown): Partial<Record<K, string>> {
  if (typeof value !== 'string' || value === '') return {};
  return { [name]: value.length > maxText ? `${value.slice(0, maxText - 1)}…` : value } as Partial<Record<K, string>>;
}
