// The traces page of `npm start`: what the OpenTelemetry layer exported to this server, as a list
// (newest first, live over server-sent events) and one trace's waterfall with each span's
// attributes. No framework, nothing from a CDN. `/traces#<trace id>` opens a trace.

const $ = (id) => document.getElementById(id);
const state = { traces: new Map(), selected: null, spans: [], span: null };

const fmtMs = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms`);
const el = (tag, props = {}, ...children) => {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
};

function renderList() {
  const traces = [...state.traces.values()].sort((a, b) => b.startMs - a.startMs);
  $('count').textContent = `${traces.length} trace${traces.length === 1 ? '' : 's'}`;
  $('empty').hidden = traces.length > 0;
  $('trace-list').replaceChildren(
    ...traces.map((t) => {
      const link = el('a', { href: `#${t.traceId}` },
        el('span', { className: 'name', textContent: t.name }),
        el('span', { className: 'dur', textContent: fmtMs(t.durationMs) }),
        el('span', { className: 'fn', textContent: `${t.functionName ?? '–'} · ${t.spans} spans` }),
        el('span', { className: t.errors ? 'when err' : 'when', textContent: t.errors ? `${t.errors} error${t.errors === 1 ? '' : 's'}` : new Date(t.startMs).toLocaleTimeString() }),
      );
      link.dataset.traceId = t.traceId;
      if (t.traceId === state.selected) link.setAttribute('aria-current', 'true');
      return el('li', {}, link);
    }),
  );
}

/** Spans in tree order (parents before children, siblings by start), each with its depth. */
function tree(spans) {
  const ids = new Set(spans.map((s) => s.spanId));
  const children = new Map();
  const roots = [];
  for (const span of spans) {
    if (span.parentSpanId && ids.has(span.parentSpanId)) {
      if (!children.has(span.parentSpanId)) children.set(span.parentSpanId, []);
      children.get(span.parentSpanId).push(span);
    } else roots.push(span);
  }
  const rows = [];
  const walk = (span, depth) => {
    rows.push({ span, depth });
    for (const child of (children.get(span.spanId) ?? []).sort((a, b) => a.startMs - b.startMs)) walk(child, depth + 1);
  };
  for (const root of roots.sort((a, b) => a.startMs - b.startMs)) walk(root, 0);
  return rows;
}

function renderTrace(summary, spans) {
  state.spans = spans;
  $('trace-title').textContent = summary.name;
  const ids = summary.requestIds.length ? ` · Perkamo request ${summary.requestIds.join(', ')}` : '';
  $('trace-meta').textContent = `trace ${summary.traceId} · ${fmtMs(summary.durationMs)} · ${summary.spans} spans${summary.errors ? ` · ${summary.errors} errors` : ''}${ids}`;
  const start = summary.startMs;
  const total = Math.max(summary.durationMs, 0.001);
  $('waterfall').replaceChildren(
    ...tree(spans).map(({ span, depth }) => {
      const bar = el('span', { className: 'bar' });
      bar.style.left = `${((span.startMs - start) / total) * 100}%`;
      bar.style.width = `${(span.durationMs / total) * 100}%`;
      const label = el('span', { className: 'label', title: span.name }, span.name, el('span', { className: 'kind', textContent: span.kind }));
      label.style.paddingLeft = `${depth * 16}px`;
      const row = el('button', { className: 'span-row', type: 'button' }, label, el('span', { className: 'track' }, bar), el('span', { className: 'ms', textContent: fmtMs(span.durationMs) }));
      row.setAttribute('role', 'listitem');
      row.dataset.spanId = span.spanId;
      row.dataset.kind = span.kind;
      row.dataset.status = span.status;
      row.addEventListener('click', () => selectSpan(span.spanId));
      return row;
    }),
  );
  selectSpan(state.span && spans.some((s) => s.spanId === state.span) ? state.span : spans[0]?.spanId);
}

function selectSpan(spanId) {
  state.span = spanId;
  const span = state.spans.find((s) => s.spanId === spanId);
  for (const row of document.querySelectorAll('.span-row')) row.setAttribute('aria-selected', String(row.dataset.spanId === spanId));
  $('detail').hidden = $('detail-title').hidden = !span;
  if (!span) return;
  $('detail-title').textContent = `Span · ${span.name}`;
  const rows = [
    ['span id', span.spanId],
    ['parent', span.parentSpanId || '(root)'],
    ['kind', span.kind],
    ['duration', fmtMs(span.durationMs)],
    ['status', span.status + (span.statusMessage ? `: ${span.statusMessage}` : '')],
    ...(span.service ? [['service.name', span.service]] : []),
    ...(span.links ? [['links', String(span.links)]] : []),
    ...Object.entries(span.attributes).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : String(v)]),
  ];
  $('detail').tBodies[0].replaceChildren(
    ...rows.map(([key, value]) => {
      const tr = el('tr', {}, el('td', { textContent: key }), el('td', { textContent: value }));
      tr.dataset.key = key;
      return tr;
    }),
  );
}

async function open(traceId) {
  state.selected = traceId;
  renderList();
  if (!traceId) return;
  const response = await fetch(`/dev/traces/${traceId}`);
  if (traceId !== state.selected) return;
  if (!response.ok) {
    $('trace-title').textContent = 'Trace not here (yet)';
    $('trace-meta').textContent = `${traceId}: its spans arrive when the invocation ends; this page opens it then.`;
    $('waterfall').replaceChildren();
    $('detail').hidden = $('detail-title').hidden = true;
    return;
  }
  const { summary, spans } = await response.json();
  renderTrace(summary, spans);
  document.body.dataset.trace = traceId;
}

function listen() {
  const source = new EventSource('/dev/traces/events');
  source.addEventListener('open', () => {
    $('live').dataset.state = 'open';
    $('live').textContent = 'live';
  });
  source.addEventListener('error', () => {
    $('live').dataset.state = 'connecting';
    $('live').textContent = 'reconnecting…';
  });
  source.addEventListener('trace', (event) => {
    const summary = JSON.parse(event.data);
    state.traces.set(summary.traceId, summary);
    renderList();
    // The open trace grew, or the one the hash asked for has just arrived.
    if (summary.traceId === state.selected) open(summary.traceId);
  });
}

async function main() {
  const { traces } = await (await fetch('/dev/traces')).json();
  for (const t of traces) state.traces.set(t.traceId, t);
  listen();
  window.addEventListener('hashchange', () => open(location.hash.slice(1) || null));
  await open(location.hash.slice(1) || traces[0]?.traceId || null);
  document.body.dataset.ready = 'true';
}

main().catch((error) => {
  $('trace-title').textContent = `Could not load the traces: ${error.message}`;
});
