// Chirp's operator dashboard: the live event tail, event rates, projections. Plain DOM, no build step.
import { createRatesChart } from './chart.js';
import { clockTime, shortStream, summarize, summaryParts, typeClass } from './events.js';
import { HttpError, openEventStream } from './sse.js';

const SESSION_KEY = 'chirp.dashboard.session';
/** Rows the tail keeps (and events a pause buffers). */
const MAX_ROWS = 500;
/** Events the tail opens with: the newest of the log, so an operator lands on what just happened. */
const BACKLOG = 100;
const PROJECTIONS_EVERY_MS = 2000;
const RATES_EVERY_MS = 5000;
const STREAM_PAGE = 200;

/** This file is served at <query API>/dashboard/dashboard.js: the query API's root is one level up. */
const queryApi = (path) => new URL(`../${path}`, import.meta.url).toString();
const $ = (id) => document.getElementById(id);

let config = null;
let session = readSession();

function readSession() {
  try {
    const s = JSON.parse(sessionStorage.getItem(SESSION_KEY) ?? 'null');
    return s && typeof s.accessToken === 'string' ? s : null;
  } catch {
    return null;
  }
}

function saveSession(s) {
  session = s;
  if (s) sessionStorage.setItem(SESSION_KEY, JSON.stringify(s));
  else sessionStorage.removeItem(SESSION_KEY);
}

const isOperator = (s) => Array.isArray(s?.roles) && s.roles.includes('operator');
const authHeader = () => ({ authorization: `Bearer ${session?.accessToken ?? ''}` });

function show(node, visible) {
  node.hidden = !visible;
}

function text(tag, content, className) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (content !== undefined) node.textContent = content;
  return node;
}

function streamButton(streamId, label = streamId, title = `Open the history of stream ${streamId}`) {
  const b = text('button', label, 'link');
  b.type = 'button';
  b.dataset.stream = streamId;
  b.title = title;
  return b;
}

/** The envelope as pretty JSON: as the server sent it, secret fields already "[redacted]". */
const prettyEnvelope = (event) => JSON.stringify(event, null, 2);

/** An event's summary: its text, with the ids it names as links to their streams. */
function summaryNode(event) {
  const span = text('span', undefined, 'summary-text');
  for (const part of summaryParts(event)) span.append(typeof part === 'string' ? part : streamButton(part.stream, part.label, part.title));
  span.title = summarize(event);
  return span;
}

async function problemOf(response) {
  try {
    return await response.json();
  } catch {
    return null;
  }
}

class SessionExpired extends Error {}

/** A query- or command-API call with the operator's token: the parsed body, HttpError, or back to the login on 401. */
async function call(url, init = {}) {
  const response = await fetch(url, { ...init, headers: { accept: 'application/json', ...init.headers, ...authHeader() }, cache: 'no-store' });
  if (response.status === 401) {
    expire();
    throw new SessionExpired('session expired');
  }
  if (!response.ok) throw new HttpError(response.status, await problemOf(response));
  return { status: response.status, body: response.status === 204 ? null : await response.json().catch(() => null) };
}

function describeError(error) {
  if (error instanceof HttpError) return `${error.status}: ${error.message}`;
  if (error instanceof TypeError) return `cannot reach the server (${error.message})`;
  return error?.message ?? String(error);
}

// ---------------------------------------------------------------------------------------------
// Views: login, not an operator, dashboard.

function route() {
  show($('boot'), false);
  const operator = isOperator(session);
  show($('login-view'), !session);
  show($('not-operator-view'), Boolean(session) && !operator);
  show($('dashboard-view'), operator);
  show($('account'), Boolean(session));
  show($('connection'), operator);
  if (session) $('account-name').textContent = `@${session.handle}${operator ? ' · operator' : ''}`;
  if (!session) {
    stopDashboard();
    $('login-handle').focus();
  } else if (!operator) {
    stopDashboard();
    $('not-operator-handle').textContent = `@${session.handle}`;
  } else startDashboard();
}

function logout(message) {
  saveSession(null);
  const error = $('login-error');
  error.textContent = message ?? '';
  show(error, Boolean(message));
  $('login-password').value = '';
  route();
}

function expire() {
  if (session) logout('Your session has expired or is no longer valid: log in again.');
}

async function login(event) {
  event.preventDefault();
  const error = $('login-error');
  const submit = $('login-submit');
  show(error, false);
  submit.disabled = true;
  const handle = $('login-handle').value.trim();
  const password = $('login-password').value;
  try {
    const response = await fetch(`${config.commandApiUrl}/v1/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ handle, password }),
    });
    const body = await problemOf(response);
    if (!response.ok) {
      error.textContent = response.status === 401 ? `Log in failed: ${body?.detail ?? body?.title ?? 'unknown handle or wrong password'}.` : `Log in failed (${response.status}): ${body?.detail ?? body?.title ?? 'unexpected answer'}`;
      show(error, true);
      return;
    }
    saveSession({ accessToken: body.accessToken, userId: body.userId, handle: body.handle, roles: body.roles ?? [] });
    $('login-password').value = '';
    route();
  } catch (e) {
    error.textContent = `Cannot reach the command API at ${config.commandApiUrl}: ${e.message}`;
    show(error, true);
  } finally {
    submit.disabled = false;
  }
}

// ---------------------------------------------------------------------------------------------
// The dashboard's lifetime: started on an operator's login, stopped on logout or a 401.

let running = null;

function startDashboard() {
  if (running) return;
  running = { timers: new Set() };
  chartWatermark = Infinity;
  windowStart = null;
  windowStartedAt = null;
  void pollProjections().finally(() => {
    if (running) restartTail();
  });
  void pollRates();
}

function stopDashboard() {
  if (!running) return;
  for (const t of running.timers) clearTimeout(t);
  running = null;
  tail.stream?.stop();
  tail.stream = null;
  if ($('stream-dialog').open) $('stream-dialog').close();
}

function later(fn, ms) {
  if (!running) return;
  const r = running;
  const t = setTimeout(() => {
    r.timers.delete(t);
    if (running === r) fn();
  }, ms);
  r.timers.add(t);
}

// ---------------------------------------------------------------------------------------------
// The live tail.

const tail = {
  stream: null,
  filters: { type: '', stream: '', user: '' },
  lastPosition: null,
  paused: false,
  buffered: [],
  newCount: 0,
  pending: [],
  flushing: false,
  state: 'connecting',
  stateInfo: null,
};
let headPosition = null;
let chartWatermark = Infinity;
/**
 * Where a (re)started tail reads from (exclusive). The dashboard opens on the newest BACKLOG events
 * of the log (`last=`), and the window starts just below the oldest of them; it moves up to the
 * oldest row shown once an unfiltered tail holds MAX_ROWS rows. A filter change shows the window's
 * events that match it, then live ones.
 */
let windowStart = null;
let windowStartedAt = null;

function restartTail() {
  tail.stream?.stop();
  $('events').querySelectorAll('tbody').forEach((b) => b.remove());
  tail.lastPosition = null;
  tail.buffered = [];
  tail.pending = [];
  tail.newCount = 0;
  updateTailChrome();
  const startAfter = windowStart;
  const { type, stream, user } = tail.filters;
  tail.stream = openEventStream({
    url(lastId) {
      const q = new URLSearchParams();
      if (type) q.set('type', type);
      if (stream) q.set('stream', stream);
      if (user) q.set('user', user);
      const after = lastId || (startAfter === null ? '' : String(startAfter));
      if (after !== '') q.set('after', after);
      else q.set('last', String(BACKLOG));
      return queryApi(`v1/admin/events/live${q.size ? `?${q}` : ''}`);
    },
    headers: authHeader,
    onMessage(message) {
      if (message.event !== 'event') return;
      try {
        receive(JSON.parse(message.data));
      } catch {
        // A message this page cannot read: skipped.
      }
    },
    onState(state, info) {
      tail.state = state;
      tail.stateInfo = info ?? null;
      updateTailChrome();
    },
    onUnauthorized: expire,
  });
}

function receive(event) {
  if (typeof event?.position !== 'number') return;
  if (tail.lastPosition !== null && event.position <= tail.lastPosition) return; // seen before a reconnect
  tail.lastPosition = event.position;
  if (windowStart === null) {
    // The first event of the first tail (the oldest of the backlog): the window starts just below it.
    windowStart = event.position - 1;
    windowStartedAt = event.occurredAt;
  }
  if (event.position > chartWatermark) chart.bump(event);
  if (tail.paused) {
    tail.buffered.push(event);
    if (tail.buffered.length > MAX_ROWS) tail.buffered.shift();
    tail.newCount += 1;
    updateTailChrome();
    return;
  }
  tail.pending.push(event);
  if (tail.pending.length > MAX_ROWS) tail.pending.shift();
  if (!tail.flushing) {
    tail.flushing = true;
    requestAnimationFrame(flush);
  }
}

function flush() {
  tail.flushing = false;
  const events = tail.pending;
  tail.pending = [];
  if (!events.length) return;
  const table = $('events');
  const fragment = document.createDocumentFragment();
  const fresh = events.length <= 20; // a burst (the backlog, a resume) is not highlighted
  for (let i = events.length - 1; i >= 0; i--) {
    const row = eventRow(events[i]);
    if (fresh) row.classList.add('fresh');
    fragment.append(row);
  }
  const first = table.tBodies[0];
  if (first) table.insertBefore(fragment, first);
  else table.append(fragment);
  while (table.tBodies.length > MAX_ROWS) table.tBodies[table.tBodies.length - 1].remove();
  const { type, stream, user } = tail.filters;
  if (table.tBodies.length >= MAX_ROWS && !type && !stream && !user) {
    const oldest = table.tBodies[table.tBodies.length - 1];
    windowStart = Number(oldest.dataset.position) - 1;
    windowStartedAt = oldest.eventData.occurredAt;
  }
  updateTailChrome();
}

function eventRow(event) {
  const body = document.createElement('tbody');
  body.className = 'event';
  body.dataset.position = String(event.position);
  body.dataset.type = event.type;
  body.eventData = event;
  const row = document.createElement('tr');
  row.className = 'summary-row';

  const toggle = text('button', '▸', 'toggle');
  toggle.type = 'button';
  toggle.setAttribute('aria-expanded', 'false');
  toggle.setAttribute('aria-label', `Show the envelope of event ${event.position}`);
  const time = text('time', clockTime(event.occurredAt));
  time.dateTime = event.occurredAt;
  time.title = event.occurredAt;
  const badge = text('span', event.type, `type-badge ${typeClass(event.type)}`);

  const cells = [
    [toggle, 'c-toggle'],
    [text('span', String(event.position)), 'num'],
    [time, 'time'],
    [badge, 'type'],
    [streamButton(event.streamId, shortStream(event.streamId)), 'stream'],
    [summaryNode(event), 'summary'],
  ];
  for (const [content, className] of cells) {
    const td = document.createElement('td');
    td.className = className;
    td.append(content);
    row.append(td);
  }
  body.append(row);
  return body;
}

function toggleRow(body) {
  const toggle = body.querySelector('.toggle');
  const expanded = toggle.getAttribute('aria-expanded') === 'true';
  let detail = body.querySelector('tr.detail');
  if (!detail) {
    const event = body.eventData;
    detail = document.createElement('tr');
    detail.className = 'detail';
    detail.id = `event-${event.position}-detail`;
    const td = document.createElement('td');
    td.colSpan = 6;
    const actions = text('div', undefined, 'detail-actions');
    actions.append(streamButton(event.streamId, `Stream ${event.streamId} →`));
    const actor = event.metadata?.actorUserId;
    if (actor) actions.append(streamButton(`user-${actor}`, `Actor user-${actor} →`, `Open the stream of user ${actor}`));
    const pre = text('pre', prettyEnvelope(event), 'envelope');
    pre.setAttribute('aria-label', `Envelope of event ${event.position}`);
    td.append(actions, pre);
    detail.append(td);
    body.append(detail);
    toggle.setAttribute('aria-controls', detail.id);
  }
  detail.hidden = expanded;
  toggle.setAttribute('aria-expanded', String(!expanded));
  toggle.textContent = expanded ? '▸' : '▾';
  body.classList.toggle('expanded', !expanded);
}

function setPaused(paused) {
  tail.paused = paused;
  if (!paused) {
    for (const event of tail.buffered) {
      tail.pending.push(event);
    }
    tail.buffered = [];
    tail.newCount = 0;
    if (tail.pending.length > MAX_ROWS) tail.pending.splice(0, tail.pending.length - MAX_ROWS);
    flush();
  }
  updateTailChrome();
}

function updateTailChrome() {
  const pause = $('pause');
  pause.setAttribute('aria-pressed', String(tail.paused));
  pause.textContent = tail.paused ? `Resume${tail.newCount ? ` (${tail.newCount} new)` : ''}` : 'Pause';
  pause.classList.toggle('has-new', tail.paused && tail.newCount > 0);

  const rows = $('events').tBodies.length;
  const empty = $('events-empty');
  show(empty, rows === 0);
  const { type, stream, user } = tail.filters;
  const filtered = [type && `type ${type}`, stream && `stream ${stream}`, user && `user ${user}`].filter(Boolean);
  empty.textContent = filtered.length ? `No ${filtered.join(', ')} events yet; waiting for new ones…` : 'Waiting for events…';

  const since = windowStartedAt ? ` since ${clockTime(windowStartedAt)}` : '';
  const parts = [`${rows} event${rows === 1 ? '' : 's'}${since}, newest first (at most ${MAX_ROWS})`];
  if (filtered.length) parts.push(`filtered by ${filtered.join(', ')}`);
  if (tail.paused) parts.push(tail.newCount ? `paused: ${tail.newCount} new` : 'paused');
  $('tail-note').textContent = parts.join(' · ');

  const connection = $('connection');
  connection.className = `connection ${tail.paused ? 'paused' : tail.state}`;
  let status = '… Connecting';
  if (tail.state === 'live') status = tail.paused ? '⏸ Paused' : '● Live';
  else if (tail.state === 'reconnecting') {
    const seconds = Math.max(1, Math.round((tail.stateInfo?.delayMs ?? 0) / 1000));
    status = `⟳ Reconnecting in ${seconds} s — ${describeError(tail.stateInfo?.error)}`;
  } else if (tail.state === 'failed') status = `✕ Stopped — ${describeError(tail.stateInfo?.error)}`;
  // Only real changes: this is a live region.
  if (connection.textContent !== status) connection.textContent = status;
  const failure = $('tail-error');
  failure.textContent = tail.state === 'failed' ? `The live tail stopped: ${describeError(tail.stateInfo?.error)}. Change the filters to try again.` : '';
  show(failure, tail.state === 'failed');
}

function applyFilters(event) {
  event?.preventDefault();
  tail.filters = { type: $('filter-type').value, stream: $('filter-stream').value.trim(), user: $('filter-user').value.trim() };
  if (running) restartTail();
}

// ---------------------------------------------------------------------------------------------
// Stream history (a dialog).

const streamView = { streamId: null, nextRevision: null, loading: false };

function openStream(streamId) {
  const dialog = $('stream-dialog');
  streamView.streamId = streamId;
  streamView.nextRevision = 0;
  $('stream-name').textContent = streamId;
  $('stream-events').replaceChildren();
  if (!dialog.open) dialog.showModal();
  void loadStreamPage();
}

async function loadStreamPage() {
  const streamId = streamView.streamId;
  if (streamView.loading || streamView.nextRevision === null) return;
  streamView.loading = true;
  const more = $('stream-more');
  more.disabled = true;
  $('stream-status').textContent = 'Loading…';
  try {
    const { body } = await call(queryApi(`v1/admin/streams/${encodeURIComponent(streamId)}/events?fromRevision=${streamView.nextRevision}&limit=${STREAM_PAGE}`));
    if (streamView.streamId !== streamId) return;
    const list = $('stream-events');
    for (const event of body.items) list.append(historyItem(event));
    streamView.nextRevision = body.nextRevision;
    const n = list.children.length;
    $('stream-status').textContent = `${n} event${n === 1 ? '' : 's'}${body.nextRevision === null ? ' (the whole stream)' : `, more from revision ${body.nextRevision}`}`;
  } catch (error) {
    if (error instanceof SessionExpired || streamView.streamId !== streamId) return;
    $('stream-status').textContent = error instanceof HttpError && error.status === 404 ? `Stream ${streamId} has no events.` : `Cannot load the stream: ${describeError(error)}`;
    if (error instanceof HttpError && error.status === 404) streamView.nextRevision = null;
  } finally {
    streamView.loading = false;
    more.disabled = false;
    show(more, streamView.nextRevision !== null && streamView.streamId === streamId);
  }
}

function historyItem(event) {
  const li = document.createElement('li');
  li.className = 'history-item';
  li.dataset.revision = String(event.streamRevision);
  const head = text('div', undefined, 'history-head');
  const time = text('time', clockTime(event.occurredAt));
  time.dateTime = event.occurredAt;
  time.title = event.occurredAt;
  head.append(
    text('span', `rev ${event.streamRevision}`, 'rev'),
    text('span', `#${event.position}`, 'muted'),
    time,
    text('span', event.type, `type-badge ${typeClass(event.type)}`),
    summaryNode(event),
  );
  const details = document.createElement('details');
  details.append(text('summary', 'Envelope'));
  const actor = event.metadata?.actorUserId;
  if (actor && `user-${actor}` !== streamView.streamId) details.append(streamButton(`user-${actor}`, `Actor user-${actor} →`, `Open the stream of user ${actor}`));
  details.append(text('pre', prettyEnvelope(event), 'envelope'));
  li.append(head, details);
  return li;
}

// ---------------------------------------------------------------------------------------------
// Projections.

const projectionRows = new Map();
/** Replays this page asked for: name → { requestedAt, seen } until the table shows them done. */
const replayWatch = new Map();

async function pollProjections() {
  const owner = running;
  try {
    const { body } = await call(queryApi('v1/projections'));
    headPosition = typeof body.headPosition === 'number' ? body.headPosition : headPosition;
    $('head-position').textContent = headPosition === null ? '' : `log head: position ${headPosition}`;
    renderProjections(body.items ?? []);
    show($('projections-error'), false);
  } catch (error) {
    if (error instanceof SessionExpired) return;
    $('projections-error').textContent = `Cannot load the projections: ${describeError(error)}`;
    show($('projections-error'), true);
  } finally {
    if (running === owner) later(pollProjections, PROJECTIONS_EVERY_MS);
  }
}

function fixed(n, digits) {
  if (n === null || n === undefined) return '?';
  return Number(n).toLocaleString(undefined, { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

function projectionRow(name) {
  const tr = document.createElement('tr');
  tr.dataset.projection = name;
  const th = text('th', name);
  th.scope = 'row';
  const cells = { state: text('td', '', 'state'), position: text('td', '', 'num'), lagEvents: text('td', '', 'num'), lagSeconds: text('td', '', 'num'), eps: text('td', '', 'num'), replay: text('td', '', 'replay') };
  const button = text('button', 'Replay', 'replay-button');
  button.type = 'button';
  button.dataset.replay = name;
  button.setAttribute('aria-label', `Replay projection ${name}`);
  button.title = `Rebuild ${name} from position 0 beside the live tables, then switch to it`;
  const progress = text('div', '', 'replay-progress');
  cells.replay.append(button, progress);
  tr.append(th, ...Object.values(cells));
  // A failing projection's error, on a row of its own under it.
  const errorTr = document.createElement('tr');
  errorTr.className = 'error-row';
  errorTr.hidden = true;
  const errorTd = text('td', '', 'state-error');
  errorTd.colSpan = 7;
  errorTr.append(errorTd);
  return { tr, errorTr, errorTd, cells: { ...cells, replay: progress } };
}

function renderProjections(items) {
  const tbody = $('projections-body');
  const seen = new Set();
  for (const p of items) {
    seen.add(p.name);
    let row = projectionRows.get(p.name);
    if (!row) {
      row = projectionRow(p.name);
      projectionRows.set(p.name, row);
    }
    tbody.append(row.tr, row.errorTr); // keeps the server's order
    const { cells, tr } = row;

    cells.state.replaceChildren(text('span', p.state.replace('_', ' '), `badge state-${p.state}`));
    const failing = p.lastError !== null || p.state === 'stalled';
    if (failing) {
      const where = p.errorPosition === null ? '' : ` at position ${p.errorPosition}`;
      const since = p.errorAt ? ` since ${clockTime(p.errorAt)}` : '';
      row.errorTd.textContent = `${p.name}: ${p.state === 'stalled' ? 'stalled on ' : 'retrying after '}${p.errorKind ?? 'an error'}${where}${since}: ${p.lastError ?? 'no detail'}`;
    }
    row.errorTr.hidden = !failing;
    tr.classList.toggle('failing', failing);
    cells.position.textContent = String(p.position);
    cells.lagEvents.textContent = p.lagEvents >= 1_000_000 ? '≥ 1,000,000' : fixed(p.lagEvents, 0);
    cells.lagSeconds.textContent = p.lagSeconds === null ? '?' : fixed(p.lagSeconds, p.lagSeconds < 10 ? 1 : 0);
    cells.eps.textContent = fixed(p.eventsPerSecond, 1);

    const watch = replayWatch.get(p.name);
    if (p.replay) {
      if (watch) watch.seen = true;
      const head = Math.max(headPosition ?? 0, p.replay.position, 1);
      const progress = document.createElement('progress');
      progress.max = head;
      progress.value = p.replay.position;
      const pct = Math.floor((p.replay.position / head) * 100);
      progress.setAttribute('aria-label', `Replay of ${p.name}: ${pct}%`);
      const label = text('span', `${pct}%`, 'progress-text');
      label.title = `${p.replay.lagEvents} events to go`;
      cells.replay.replaceChildren(progress, label);
      tr.dataset.replay = 'running';
    } else if (watch && !watch.seen && Date.now() - watch.requestedAt < 8000) {
      cells.replay.replaceChildren(text('span', 'starting…', 'muted'));
      tr.dataset.replay = 'requested';
    } else {
      if (watch) {
        replayWatch.delete(p.name);
        projectionMessage(`Replay of ${p.name} finished; the projection is ${p.state.replace('_', ' ')} at position ${p.position}.`, 'ok');
      }
      cells.replay.replaceChildren();
      tr.dataset.replay = 'none';
    }
    tr.dataset.state = p.state;
  }
  for (const [name, row] of projectionRows) {
    if (!seen.has(name)) {
      row.tr.remove();
      row.errorTr.remove();
      projectionRows.delete(name);
    }
  }
}

function projectionMessage(message, kind) {
  const node = $('projections-message');
  node.textContent = message;
  node.className = `message ${kind}`;
  show(node, true);
}

async function replay(name, button) {
  button.disabled = true;
  try {
    const response = await fetch(`${config.commandApiUrl}/v1/admin/projections/${encodeURIComponent(name)}/replay`, { method: 'POST', headers: { accept: 'application/json', ...authHeader() } });
    if (response.status === 401) return expire();
    const body = await problemOf(response);
    if (response.status === 202) {
      replayWatch.set(name, { requestedAt: Date.now(), seen: false });
      projectionMessage(`Replay of ${name} started: it is rebuilt from position 0 beside the live tables, then switched in.`, 'ok');
    } else {
      projectionMessage(`Replay of ${name} refused (${response.status}): ${body?.detail ?? body?.title ?? 'no detail'}`, 'error');
    }
  } catch (error) {
    projectionMessage(`Cannot reach the command API at ${config.commandApiUrl}: ${describeError(error)}`, 'error');
  } finally {
    button.disabled = false;
  }
}

// ---------------------------------------------------------------------------------------------
// Event rates.

const chart = createRatesChart($('chart'), $('legend'), () => config?.eventTypes ?? []);

async function pollRates() {
  const owner = running;
  const watermark = headPosition;
  try {
    const { body } = await call(queryApi('v1/admin/event-rates?minutes=60'));
    chart.setData(body);
    // Events the tail sees after this are counted into the chart until the next refresh.
    chartWatermark = watermark ?? Infinity;
    show($('rates-error'), false);
  } catch (error) {
    if (error instanceof SessionExpired) return;
    $('rates-error').textContent = `Cannot load the event rates: ${describeError(error)}`;
    show($('rates-error'), true);
  } finally {
    if (running === owner) later(pollRates, RATES_EVERY_MS);
  }
}

// ---------------------------------------------------------------------------------------------
// Wiring.

function wire() {
  const select = $('filter-type');
  $('login-form').addEventListener('submit', login);
  $('logout').addEventListener('click', () => logout());
  $('not-operator-logout').addEventListener('click', () => logout());
  $('filters').addEventListener('submit', applyFilters);
  select.addEventListener('change', applyFilters);
  $('filter-clear').addEventListener('click', () => {
    $('filters').reset();
    applyFilters();
  });
  $('pause').addEventListener('click', () => setPaused(!tail.paused));

  // One listener for every stream link (tail, details, dialog) and the rows' toggles.
  document.addEventListener('click', (event) => {
    const target = event.target instanceof Element ? event.target : null;
    const link = target?.closest('[data-stream]');
    if (link) {
      event.preventDefault();
      openStream(link.dataset.stream);
      return;
    }
    const replayButton = target?.closest('button[data-replay]');
    if (replayButton) {
      void replay(replayButton.dataset.replay, replayButton);
      return;
    }
    const row = target?.closest('#events tr.summary-row');
    if (row && !target.closest('a, input, select') && !window.getSelection()?.toString()) toggleRow(row.parentElement);
  });

  const dialog = $('stream-dialog');
  $('stream-close').addEventListener('click', () => dialog.close());
  $('stream-more').addEventListener('click', () => void loadStreamPage());
  dialog.addEventListener('click', (event) => {
    if (event.target === dialog) dialog.close(); // a click on the backdrop
  });
  dialog.addEventListener('close', () => {
    streamView.streamId = null;
  });
}

async function boot() {
  wire();
  try {
    const response = await fetch(new URL('config.json', import.meta.url), { cache: 'no-store' });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    config = await response.json();
    config.commandApiUrl = String(config.commandApiUrl).replace(/\/+$/, '');
    // The Type filter's choices: the domain's event types, as the server lists them.
    config.eventTypes = Array.isArray(config.eventTypes) ? config.eventTypes.map(String) : [];
    for (const type of config.eventTypes) $('filter-type').append(new Option(type, type));
  } catch (error) {
    $('boot').textContent = `Cannot load the dashboard's configuration (config.json): ${error.message}`;
    $('boot').classList.add('error');
    return;
  }
  route();
}

void boot();
