// Shared by the dashboard's pages: escaping, formatting, the API and live updates. The pages are served
// by the API's own server, so every URL here is relative to it ('/api/...'): never a host or a port.

const HTML_ESCAPES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text safe inside HTML (element content or a quoted attribute): data never becomes markup. */
/** The page's element with this id. */
export const $ = (id) => document.getElementById(id);

export function esc(value) {
  return String(value ?? '').replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);
}

/** UTC ISO time without milliseconds, from epoch ms or an ISO string; a dash when unknown. */
export function utc(t) {
  if (t === null || t === undefined || t === '') return '—';
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? '—' : d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A number as the API gave it (prices keep their tick digits), or with `digits` decimals; a dash for null. */
export function num(x, digits) {
  if (typeof x !== 'number' || !Number.isFinite(x)) return '—';
  return digits === undefined ? String(x) : x.toFixed(digits);
}

/** A signed number (+1.20 / -0.35) with its sign class, as HTML. */
export function signed(x, digits = 2, suffix = '') {
  if (typeof x !== 'number' || !Number.isFinite(x)) return '<span class="muted">—</span>';
  const cls = x > 0 ? 'pos' : x < 0 ? 'neg' : '';
  return `<span class="${cls}">${x > 0 ? '+' : ''}${esc(x.toFixed(digits))}${esc(suffix)}</span>`;
}

export const yesNo = (b) => (b ? 'yes' : 'no');

/** A DTMS state as a coloured badge (the class only takes the state's letters). */
export function stateBadge(state) {
  const s = String(state ?? '');
  return `<span class="badge state-${esc(s.replace(/[^A-Z0-9_]/gi, ''))}">${esc(s || '—')}</span>`;
}

export function sideBadge(side) {
  const s = String(side ?? '').toLowerCase();
  return `<span class="badge ${s === 'buy' ? 'buy' : 'sell'}">${esc(s.toUpperCase())}</span>`;
}

/** How a closed trade ended, in words (the API's exitReason). */
export const EXIT_REASONS = {
  sl: 'stop loss',
  tp: 'take profit',
  warden_close: 'Warden closed',
  warden_partials: 'Warden partials',
  dtms_close: 'DTMS closed',
  stop_out: 'stop-out',
  outside: 'outside Warden',
  unknown: 'unknown',
};

/** A closed trade's exit reason as a badge (the class only takes the reason's letters). */
export function exitBadge(reason) {
  const r = String(reason ?? '');
  return `<span class="badge exit-${esc(r.replace(/[^a-z_]/g, ''))}" title="${esc(r)}">${esc(EXIT_REASONS[r] ?? r)}</span>`;
}

/** The trade page of a ticket. */
export const tradeHref = (ticket) => `/dtms/trade/${encodeURIComponent(String(ticket))}`;

/** An answer of the API that was not what the page asked for: the status and the server's message. */
export class ApiError extends Error {
  constructor(status, body, path) {
    const message =
      body && typeof body === 'object' && typeof body.message === 'string' ? body.message : `HTTP ${status}`;
    super(message);
    this.status = status;
    this.body = body;
    this.path = path;
  }
}

/** Where a tab keeps the API token it was given (the tab's session only; never in localStorage or a cookie). */
const TOKEN_KEY = 'warden.apiToken';
/** The token is asked once per page load: a page polling several paths must not stack prompts. */
let tokenAsked = false;

/**
 * GET an API path and its JSON body. `okStatuses` are answers the page expects besides 2xx (the health
 * report is 503 when degraded); every other status throws an ApiError with the server's message.
 * Served beyond loopback, every read needs the API token: on a 401 the page asks for it once and keeps
 * it for the tab (sessionStorage), sending it as the other callers do (Authorization: Bearer).
 */
export async function getJson(path, okStatuses = []) {
  if (!path.startsWith('/api/')) throw new Error(`not an API path: ${path}`);
  // x-warden-page: the server budgets the pages' polling apart from other callers (its rate limit).
  const headers = { accept: 'application/json', 'x-warden-page': '1' };
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) headers.authorization = `Bearer ${token}`;
  const r = await fetch(path, { headers, cache: 'no-store' });
  let body = null;
  try {
    body = await r.json();
  } catch {
    body = null;
  }
  if (r.ok || okStatuses.includes(r.status)) return { status: r.status, body };
  if (r.status === 401) {
    // Another request of the page was given the token meanwhile: this one goes again with it.
    const stored = sessionStorage.getItem(TOKEN_KEY);
    if (stored && stored !== token) return getJson(path, okStatuses);
    if (token) sessionStorage.removeItem(TOKEN_KEY);
    if (!tokenAsked) {
      tokenAsked = true;
      const given = window.prompt(
        'This Warden needs its API token to show data (service.token or WARDEN_API_TOKEN). It is kept for this tab only.',
      );
      if (given && given.trim() !== '') {
        sessionStorage.setItem(TOKEN_KEY, given.trim());
        return getJson(path, okStatuses);
      }
    }
  }
  throw new ApiError(r.status, body, path);
}

/**
 * A trader's action from a page: POST or PATCH an API path (JSON body or none) with the API token. The
 * token is asked once per tab when an action first needs it, and kept for the tab (sessionStorage);
 * x-warden-page names the page as the action's source in its decision record. Returns the answer's
 * JSON; any other status throws an ApiError with the server's message (a 409 says why not).
 */
export async function sendJson(method, path, body) {
  if (!path.startsWith('/api/')) throw new Error(`not an API path: ${path}`);
  for (let attempt = 0; attempt < 2; attempt++) {
    const headers = { accept: 'application/json', 'x-warden-page': '1' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (token) headers.authorization = `Bearer ${token}`;
    const r = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
    });
    let answer = null;
    try {
      answer = await r.json();
    } catch {
      answer = null;
    }
    if (r.ok) return answer;
    if (r.status !== 401 || attempt > 0) throw new ApiError(r.status, answer, path);
    if (token) sessionStorage.removeItem(TOKEN_KEY);
    const given = window.prompt(
      "Actions need Warden's API token (service.token, WARDEN_API_TOKEN, or the token file). It is kept for this tab only.",
    );
    if (!given || given.trim() === '') throw new ApiError(r.status, answer, path);
    sessionStorage.setItem(TOKEN_KEY, given.trim());
  }
  throw new Error('unreachable');
}

/** Shows (or, with null, hides) the page's error banner. */
export function showError(message) {
  const el = document.getElementById('error');
  if (!el) return;
  el.hidden = message === null;
  el.textContent = message === null ? '' : message;
}

export function errorText(err) {
  if (err instanceof ApiError)
    return err.status === 429 ? `rate limited: ${err.message}` : `the API answered ${err.status}: ${err.message}`;
  return `the API cannot be reached (${err instanceof Error ? err.message : String(err)}); retrying`;
}

let marketTime = null;

/**
 * The market's clock as the page's data shows it (the played market runs ahead of the wall clock): an
 * ISO time, as the API and its live events give times, or epoch ms (the chart's bars, the one time the
 * API keeps in ms). Anything else (null, a malformed time) leaves it as it was.
 */
export function noteMarketTime(t) {
  const ms = typeof t === 'string' ? Date.parse(t) : t;
  if (typeof ms === 'number' && Number.isFinite(ms) && (marketTime === null || ms > marketTime)) marketTime = ms;
}

/** Stamps the page with when its data was refreshed (wall clock) and the market's time (UTC ISO). */
export function stampUpdated() {
  const el = document.getElementById('updated');
  if (el) el.textContent = utc(Date.now());
  const m = document.getElementById('market-time');
  if (m) m.textContent = marketTime === null ? '—' : utc(marketTime);
}

function setLive(state, text) {
  const el = document.getElementById('live');
  if (!el) return;
  el.dataset.live = state;
  const label = el.querySelector('.text');
  if (label) label.textContent = text;
}

/**
 * Live updates from /api/events (server-sent events: `step` per played bar, `decision` per stored
 * decision). Each event `relevant(type, data)` accepts asks for a refresh; refreshes run one at a time,
 * at most once per `minGapMs`, and wait while the tab is hidden. When the stream is down, the page is
 * polled every 10 s instead. `immediate`: refresh at once (false when the page has just loaded its data).
 * `onError(err)`: a refresh failed (after the error banner shows it): what the page showed as current
 * is marked as not known now.
 */
export function live({ refresh, relevant = () => true, minGapMs = 1000, immediate = true, onError = () => {} }) {
  let last = immediate ? 0 : Date.now();
  let timer = null;
  let running = false;
  let wanted = false;
  let stopped = false;

  const run = async () => {
    timer = null;
    if (document.hidden) return; // visibilitychange resumes
    wanted = false;
    running = true;
    last = Date.now();
    try {
      await refresh();
    } catch (err) {
      showError(errorText(err));
      onError(err);
    } finally {
      running = false;
    }
    if (wanted) schedule();
  };
  const schedule = () => {
    wanted = true;
    if (timer !== null || running || stopped) return;
    timer = setTimeout(run, Math.max(0, last + minGapMs - Date.now()));
  };

  const source = new EventSource('/api/events');
  source.addEventListener('open', () => setLive('live', 'live'));
  source.addEventListener('error', () => {
    if (source.readyState === EventSource.CLOSED) setLive('offline', 'no live stream: polling every 10 s');
    else setLive('reconnecting', 'reconnecting…');
  });
  for (const type of ['step', 'decision']) {
    source.addEventListener(type, (e) => {
      let data;
      try {
        data = JSON.parse(e.data);
      } catch {
        return;
      }
      if (type === 'step') noteMarketTime(data?.time);
      if (relevant(type, data)) schedule();
    });
  }
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden && wanted) schedule();
  });
  const poll = setInterval(() => {
    if (source.readyState !== EventSource.OPEN) schedule();
  }, 10_000);
  // Pages closing end their stream at once (the server also drops streams it cannot write to).
  window.addEventListener('pagehide', () => source.close());
  window.addEventListener('pageshow', (e) => {
    if (e.persisted) location.reload(); // back from the page cache with a closed stream
  });

  if (immediate) schedule();
  return {
    refreshSoon: schedule,
    /** Ends the live updates for good (the page has nothing left to follow). */
    close() {
      stopped = true;
      clearInterval(poll);
      if (timer !== null) clearTimeout(timer);
      source.close();
    },
  };
}

// ---- the account strip (every page) ----------------------------------------------------------------

/** Money as a trader reads it: thousands separated, two decimals; a dash when unknown. */
export function money(x) {
  if (typeof x !== 'number' || !Number.isFinite(x)) return '—';
  return x.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
}

/** Signed money with its sign class, as HTML. */
function signedMoney(x) {
  if (typeof x !== 'number' || !Number.isFinite(x)) return '<span class="muted">—</span>';
  const cls = x > 0 ? 'pos' : x < 0 ? 'neg' : '';
  return `<span class="${cls}">${x > 0 ? '+' : x < 0 ? '−' : ''}${esc(money(Math.abs(x)))}</span>`;
}

const ACCOUNT_POLL_MS = 5_000;
const MODE_TITLES = {
  paper: 'the embedded paper account: nothing reaches a real venue',
  live: "Warden's decisions are sent to the venue",
  shadow: 'Warden decides and sends nothing for the shadowed symbols',
};
let lastAccount = null;
let accountTimer = null;

function lots(x) {
  return Number(x.toFixed(8)).toString();
}

function exposureText(e) {
  const net = e.netVolume;
  const hedged =
    e.buyVolume > 0 && e.sellVolume > 0 ? ` (${lots(e.buyVolume)} bought, ${lots(e.sellVolume)} sold)` : '';
  const title = `${e.positions} position${e.positions === 1 ? '' : 's'}${hedged}; net ${lots(net)} lots`;
  return `<span class="exposure" title="${esc(title)}"><span class="sym">${esc(e.symbol)}</span> <span class="${net > 0 ? 'pos' : net < 0 ? 'neg' : 'muted'}">${net > 0 ? '+' : net < 0 ? '−' : '±'}${esc(lots(Math.abs(net)))}</span></span>`;
}

/**
 * Draws the strip from the last answer. `unreachable`: why the API could not be asked now (null: it
 * answered): the figures stay, greyed, with their time, and the health says unknown, never the last
 * green.
 */
function drawAccount(el, a, unreachable) {
  el.classList.toggle('stale', unreachable !== null || a?.stale === true);
  if (a === null) {
    el.innerHTML = `<span class="chip mode">—</span><span class="item">${unreachable === null ? 'account: loading…' : esc(`account: ${unreachable}`)}</span>`;
    return;
  }
  const cur = a.currency ? ` <span class="muted">${esc(a.currency)}</span>` : '';
  const healthStatus = unreachable !== null ? 'unknown' : a.health.status;
  const healthTitle =
    unreachable !== null
      ? `the API cannot be reached: health unknown (last report: ${a.health.status})`
      : a.health.reasons.join('; ') || 'no problem reported';
  const exposure = a.exposure.length === 0 ? '<span class="muted">flat</span>' : a.exposure.map(exposureText).join(' ');
  const shadowed = a.mode === 'shadow' && a.shadowed.length > 0 ? ` (${a.shadowed.join(', ')})` : '';
  const todayTitle = `booked since ${utc(a.today.from)}: profit ${money(a.today.profit)}, fees ${money(a.today.fees)}, ${a.today.bookings} booking(s)`;
  const problems = [];
  if (unreachable !== null) problems.push(`API unreachable (${unreachable}); figures as of ${utc(a.readAt)}`);
  else if (a.stale) problems.push(`the venue did not answer (${a.errors.join('; ')}); figures as of ${utc(a.readAt)}`);
  const notes = a.notes.length > 0 ? ` <span class="note" title="${esc(a.notes.join('\n'))}">ⓘ</span>` : '';
  el.innerHTML = [
    `<span class="chip mode mode-${esc(a.mode)}" title="${esc(`${MODE_TITLES[a.mode] ?? a.mode}: ${a.account}`)}">${esc(a.mode.toUpperCase())}${esc(shadowed)}</span>`,
    `<span class="item"><span class="label">Balance</span> <span class="mono" data-figure="balance">${esc(money(a.balance))}</span>${cur}</span>`,
    `<span class="item"><span class="label">Equity</span> <span class="mono" data-figure="equity">${esc(money(a.equity))}</span></span>`,
    `<span class="item" title="equity − balance: the floating profit of every open position"><span class="label">Open P/L</span> <span class="mono" data-figure="open">${signedMoney(a.openProfit)}</span></span>`,
    `<span class="item" title="${esc(todayTitle)}"><span class="label">Today</span> <span class="mono" data-figure="today">${signedMoney(a.today.realized)}</span></span>`,
    `<span class="item exposures"><span class="label" title="open lots per symbol at the venue, bought minus sold">Exposure</span> ${exposure}</span>`,
    `<span class="chip health health-${esc(healthStatus)}" title="${esc(healthTitle)}" data-figure="health">${esc(healthStatus)}</span>${notes}`,
    problems.length > 0 ? `<span class="item problem" role="status">${esc(problems.join('; '))}</span>` : '',
  ].join('');
}

/** Asks the API for the account now and redraws the strip (after an action, or on the strip's own beat). */
export async function refreshAccount() {
  const el = document.getElementById('account');
  if (!el) return;
  try {
    lastAccount = (await getJson('/api/account')).body;
    drawAccount(el, lastAccount, null);
  } catch (err) {
    const why =
      err instanceof ApiError
        ? err.status === 429
          ? `rate limited: ${err.message}`
          : `answered ${err.status}: ${err.message}`
        : err instanceof Error
          ? err.message
          : String(err);
    drawAccount(el, lastAccount, why);
  }
}

function startAccountStrip() {
  if (!document.getElementById('account') || accountTimer !== null) return;
  const beat = async () => {
    accountTimer = null;
    if (!document.hidden) await refreshAccount();
    accountTimer = setTimeout(beat, ACCOUNT_POLL_MS);
  };
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden) void refreshAccount();
  });
  void beat();
}

if (typeof document !== 'undefined') {
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', startAccountStrip);
  else startAccountStrip();
}
