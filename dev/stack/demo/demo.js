// The demo page of `npm start`: the browser side of the SDK docs' subscribeCustomer flow, with no
// framework and nothing from a CDN.
//
//   1. sign in        POST /dev/token        a dev JWT for the user (local only; in production your
//                                            auth provider issues it)
//   2. stream token   POST /stream-token     the stream-token function mints a short-lived token
//                                            for the signed-in user only
//   3. subscribe      EventSource(<emulator>/v1/client/customer/<id>/stream?access_token=…)
//                                            one `customer` frame now, one after every change
//   4. emit           POST /events           the emit function; the page updates from the stream
//   5. badge          GET /customer          the customer function: the caller's own state; the
//                                            "Welcome member" badge shows its flags.perks.welcome_member
//   6. program        GET /program           the program function: the level names and the perks,
//                                            each still to unlock with what unlocks it
//   7. traces         each event is sent with a `traceparent` the page makes, so its log line links
//                     to that trace on the traces page (/traces) once the layer has exported it

const $ = (id) => document.getElementById(id);
const state = { config: null, program: null, customer: null, userId: null, jwt: null, source: null, retryMs: 1000, retryTimer: null, generation: 0, badgeChecked: false };

function log(text, kind = 'info', traceId = null) {
  const item = document.createElement('li');
  item.textContent = `${new Date().toLocaleTimeString()}  ${text}`;
  if (kind === 'error') item.className = 'error';
  if (traceId && state.config?.traces_path) {
    const link = document.createElement('a');
    link.href = `${state.config.traces_path}#${traceId}`;
    link.target = '_blank';
    link.className = 'trace-link';
    link.textContent = 'trace';
    link.dataset.traceId = traceId;
    item.append('  ', link);
  }
  $('log').prepend(item);
  while ($('log').children.length > 50) $('log').lastElementChild.remove();
}

function setStream(stateName, text) {
  const pill = $('stream-state');
  pill.dataset.state = stateName;
  pill.textContent = text;
}

function setButtons(enabled) {
  for (const button of document.querySelectorAll('#actions button')) button.disabled = !enabled;
}

async function api(path, body, headers = {}, method = 'POST') {
  const response = await fetch(path, {
    method,
    headers: { ...(body !== undefined && { 'content-type': 'application/json' }), ...headers },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  let json;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (!response.ok) {
    const error = new Error(json?.error?.message ?? json?.message ?? `HTTP ${response.status}`);
    error.status = response.status;
    throw error;
  }
  return { json, requestId: response.headers.get('x-perkamo-request-id') };
}

/**
 * A W3C `traceparent` for one request: the page starts the trace, so the emit function's
 * invocation span continues it and the log can link to it before the spans arrive.
 */
function newTraceparent() {
  const hex = (bytes) => [...crypto.getRandomValues(new Uint8Array(bytes))].map((b) => b.toString(16).padStart(2, '0')).join('');
  const traceId = hex(16);
  return { traceId, header: `00-${traceId}-${hex(8)}-01` };
}

const transactionId = () =>
  `demo:${globalThis.crypto?.randomUUID?.() ?? `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`}`;

function bump(element, value) {
  if (element.textContent !== value) {
    element.textContent = value;
    element.classList.add('bump');
    setTimeout(() => element.classList.remove('bump'), 600);
  }
}

/** What unlocks a perk, as the program function says. */
function unlockHint(unlock) {
  if (!unlock) return '';
  return 'event' in unlock ? `on ${unlock.event}` : `at ${unlock.at_least} ${unlock.wallet}`;
}

function render(customer) {
  state.customer = customer;
  const wallets = customer.wallets ?? {};
  bump($('points'), String(wallets.points ?? 0));
  bump($('xp'), String(wallets.xp ?? 0));
  const level = customer.level;
  const ladder = state.program?.levels?.ladder ?? [];
  if (level) {
    bump($('level'), String(level.level));
    $('level-name').textContent = ladder[level.level - 1]?.name ?? '';
    const percent = Math.round((level.progress ?? 0) * 100);
    $('level-bar').style.width = `${percent}%`;
    $('level-bar').parentElement.setAttribute('aria-valuenow', String(percent));
    $('level-progress-label').textContent =
      level.nextLevelAt === null ? 'top level' : `${level.current} / ${level.nextLevelAt} ${level.wallet} to level ${level.level + 1}`;
  }
  const flags = customer.flags?.perks ?? {};
  const unlocked = new Map((customer.perks ?? []).map((perk) => [perk.key, perk]));
  const perks = state.program?.perks ?? Object.keys(flags).map((key) => ({ key, name: key }));
  const toUnlock = perks.filter((perk) => flags[perk.key] !== true).length;
  $('perks-to-unlock').textContent = state.program ? `${toUnlock} of ${perks.length} still to unlock` : '';
  const list = $('perks');
  list.replaceChildren(
    ...perks.map((perk) => {
      const item = document.createElement('li');
      const on = flags[perk.key] === true;
      item.dataset.perk = perk.key;
      item.dataset.unlocked = String(on);
      const name = document.createElement('span');
      name.textContent = `${on ? '★' : '☆'} ${perk.name ?? perk.key}`;
      name.title = perk.description ?? '';
      const status = document.createElement('span');
      status.className = 'state';
      const at = unlocked.get(perk.key)?.unlocked_at;
      const hint = unlockHint(perk.unlock);
      status.textContent = on ? `unlocked${at ? ` ${new Date(at).toLocaleTimeString()}` : ''}` : `locked${hint ? ` · unlocks ${hint}` : ''}`;
      item.append(name, status);
      return item;
    }),
  );
}

function closeStream() {
  clearTimeout(state.retryTimer);
  state.source?.close();
  state.source = null;
}

/** Mints a stream token through the stream-token function and opens the customer stream. */
async function subscribe() {
  closeStream();
  const generation = ++state.generation;
  setStream('connecting', 'connecting…');
  let token;
  try {
    const { json } = await api('/stream-token', {}, { authorization: `Bearer ${state.jwt}` });
    token = json.token;
    log(`stream token minted (expires in ${json.expires_in} s)`);
  } catch (error) {
    log(`stream-token failed: ${error.message}`, 'error');
    return retryLater(generation);
  }
  if (generation !== state.generation) return;
  const url = new URL(`/v1/client/customer/${encodeURIComponent(state.userId)}/stream`, state.config.emulator_url);
  url.searchParams.set('access_token', token);
  const source = new EventSource(url);
  state.source = source;
  source.addEventListener('open', () => {
    state.retryMs = 1000;
    setStream('open', 'live');
  });
  source.addEventListener('customer', (event) => {
    const customer = JSON.parse(event.data);
    render(customer);
    // Once the customer exists (a new one has no state to read yet: GET /customer would be a 404).
    if (customer.created_at && !state.badgeChecked) {
      state.badgeChecked = true;
      refreshBadge();
    }
  });
  source.addEventListener('error', () => {
    if (source.readyState === EventSource.CLOSED) {
      // Refused (the stream token expired, say): a new token is needed, not a plain reconnect.
      setStream('closed', 'stream closed');
      retryLater(generation);
    } else {
      setStream('connecting', 'reconnecting…');
    }
  });
}

function retryLater(generation) {
  if (generation !== state.generation) return;
  clearTimeout(state.retryTimer);
  state.retryTimer = setTimeout(() => generation === state.generation && subscribe(), state.retryMs);
  state.retryMs = Math.min(state.retryMs * 2, 15000);
}

/** The program's level names and perks, through the program function (any signed-in user may read it). */
async function loadProgram() {
  try {
    const { json } = await api('/program', undefined, { authorization: `Bearer ${state.jwt}` }, 'GET');
    state.program = json;
    render(state.customer ?? { wallets: {}, level: null, perks: [], flags: { perks: {} } });
  } catch (error) {
    log(`program failed: ${error.message}`, 'error');
  }
}

/** Reads the caller's own state through the customer function and shows its member badge. */
async function refreshBadge() {
  const badge = $('member-badge');
  try {
    const { json } = await api('/customer', undefined, { authorization: `Bearer ${state.jwt}` }, 'GET');
    badge.hidden = json.flags?.perks?.welcome_member !== true;
  } catch (error) {
    badge.hidden = true;
    // 404: no event or identify for this user yet.
    if (error.status !== 404) log(`customer failed: ${error.message}`, 'error');
  }
}

async function signIn(userId) {
  $('signin-button').disabled = true;
  try {
    const { json } = await api('/dev/token', { user_id: userId });
    state.userId = userId;
    state.jwt = json.token;
    $('session').dataset.state = 'signed-in';
    $('session').textContent = `Signed in as ${userId}`;
    log(`signed in as ${userId} (dev JWT, scopes ${json.scopes.join(' ')})`);
    setButtons(true);
    state.badgeChecked = false;
    $('member-badge').hidden = true;
    await Promise.all([loadProgram(), subscribe()]);
  } catch (error) {
    $('session').dataset.state = 'error';
    $('session').textContent = `Sign-in failed: ${error.message}`;
  } finally {
    $('signin-button').disabled = false;
  }
}

const contexts = {
  'purchase.completed': () => {
    const amount = Math.max(0, Math.round(Number($('amount').value) || 0));
    return { order_id: `order_${Date.now().toString(36)}`, amount, currency: 'EUR' };
  },
  'lesson.finished': () => ({ lesson_id: ['intro', 'wallets', 'levels', 'perks'][Math.floor(Math.random() * 4)] }),
  'page.viewed': () => ({ path: location.pathname }),
  'referral.completed': () => ({ referred_user_id: `friend_${Math.random().toString(36).slice(2, 8)}` }),
  'user.registered': () => ({ plan: 'pro' }),
};

async function emit(event) {
  const body = { user_id: state.userId, event, context: contexts[event](), transaction_id: transactionId() };
  const trace = newTraceparent();
  try {
    const { json, requestId } = await api('/events', body, { authorization: `Bearer ${state.jwt}`, traceparent: trace.header });
    const delta = (json.delta ?? []).map((d) => `${d.amount > 0 ? '+' : ''}${d.amount} ${d.wallet}`).join(', ') || 'no change';
    const perks = (json.unlocked ?? []).map((u) => ` · unlocked ${u.name}`).join('');
    log(`${event} → ${delta}${json.leveled_up ? ' · level up!' : ''}${perks}${requestId ? `  (${requestId})` : ''}`, 'info', trace.traceId);
    if ((json.unlocked ?? []).length > 0) await refreshBadge();
  } catch (error) {
    log(`${event} failed: ${error.message}`, 'error', trace.traceId);
  }
}

async function main() {
  state.config = await (await fetch('/dev/config')).json();
  const link = $('emulator-link');
  link.href = `${state.config.emulator_url}/__emulator/ledger`;
  link.textContent = state.config.emulator_url;
  $('api-url').textContent = state.config.api_url;
  if (state.config.traces_path) {
    $('traces-link').href = state.config.traces_path;
    $('traces-link').hidden = $('traces-sep').hidden = false;
  }
  $('user-id').value = `demo_${Math.random().toString(36).slice(2, 6)}`;
  render({ wallets: {}, level: null, perks: [], flags: { perks: {} } });
  $('signin-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const userId = $('user-id').value.trim();
    if (userId) signIn(userId);
  });
  for (const button of document.querySelectorAll('#actions button[data-event]')) {
    button.addEventListener('click', () => emit(button.dataset.event));
  }
  document.body.dataset.ready = 'true';
}

main().catch((error) => log(`could not load the page config: ${error.message}`, 'error'));
