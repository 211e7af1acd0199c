// The process's accounts index (/api/accounts): every account of the installation, where it runs (here,
// on another process, free, failed here), its health, positions, venue and lease, each linking to its
// own dashboard. The filters live in the page's URL (?q=&state=&health=&venue=), so a filtered list can
// be shared or reloaded; the list is asked for again every 5 s (no live stream: the index has none) and
// at once when a filter changes.
import { $, errorText, esc, getJson, num, showError, stampUpdated, utc } from './common.js';

const POLL_MS = 5_000;
/** Typing in the filter box asks once the trader pauses, not per key. */
const TYPING_MS = 250;
const COLUMNS = 6;
const STATES = ['here', 'elsewhere', 'free', 'failed'];
const FILTERS = ['q', 'state', 'health', 'venue'];

let timer = null;
let typing = null;
/** Answers arrive in any order: only the latest ask is drawn. */
let asked = 0;

/** The filters as the URL holds them (empty: no filter). */
function filters() {
  const q = new URLSearchParams(location.search);
  return Object.fromEntries(FILTERS.map((name) => [name, (q.get(name) ?? '').trim()]));
}

function apiPath(f) {
  const q = new URLSearchParams();
  for (const name of FILTERS) if (f[name]) q.set(name, f[name]);
  const query = q.toString();
  return query === '' ? '/api/accounts' : `/api/accounts?${query}`;
}

/** The account's dashboard as a link, only for a web address (the URL comes from the shared store). */
function dashboardHref(url) {
  if (typeof url !== 'string') return null;
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null;
  } catch {
    return null;
  }
}

/** A span of seconds as a trader reads it: 42 s, 1 min 35 s, 25 min, 3 h, 2 d (a lease lasts tens of seconds). */
function span(sec) {
  const s = Math.abs(sec);
  if (s < 60) return `${s} s`;
  if (s < 600) return s % 60 === 0 ? `${s / 60} min` : `${Math.floor(s / 60)} min ${s % 60} s`;
  if (s < 90 * 60) return `${Math.round(s / 60)} min`;
  if (s < 48 * 3600) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86_400)} d`;
}

/** Until when the holder keeps the account, from the server's clock: "in 25 s", or "lapsed 3 min ago". */
function leaseCell(a) {
  if (a.leaseUntil === null || a.leaseInSec === null) return '<span class="muted">never held</span>';
  const text = a.leaseInSec >= 0 ? `in ${span(a.leaseInSec)}` : `lapsed ${span(a.leaseInSec)} ago`;
  const cls = a.leaseInSec >= 0 ? '' : ' class="muted"';
  return `<span${cls} title="${esc(utc(a.leaseUntil))}">${esc(text)}</span>`;
}

function whereCell(a) {
  const badge = `<span class="badge where-${esc(a.state)}">${esc(a.state)}</span>`;
  if (a.state === 'elsewhere')
    return `${badge} <span class="holder">on <span class="mono">${esc(a.holder ?? 'an unknown holder')}</span></span>`;
  if (a.state === 'failed') return `${badge} <span class="problem">${esc(a.problem ?? 'no reason given')}</span>`;
  return badge;
}

function healthCell(health) {
  if (health === null) return '<span class="muted">no report</span>';
  return `<span class="badge health-${esc(String(health).replace(/[^a-z]/g, ''))}">${esc(health)}</span>`;
}

function row(a) {
  const href = dashboardHref(a.url);
  const name = href
    ? `<a class="mono account" href="${esc(href)}" title="${esc(`its dashboard: ${href}`)}">${esc(a.account)}</a>`
    : `<span class="mono account">${esc(a.account)}</span>`;
  return `<tr data-account="${esc(a.account)}" data-state="${esc(a.state)}">
<td class="name" data-label="Account">${name}</td>
<td class="${a.state === 'failed' ? 'where note' : 'where'}" data-label="Where">${whereCell(a)}</td>
<td data-label="Health">${healthCell(a.health)}</td>
<td class="num" data-label="Positions">${esc(num(a.positions))}</td>
<td data-label="Venue">${esc(a.venue)}</td>
<td class="lease" data-label="Lease until">${leaseCell(a)}</td>
</tr>`;
}

/** The heading's counts: every account of the installation per state, whatever the filters. */
function drawCounts(counts) {
  $('counts').innerHTML = [
    `<span class="count total">${esc(counts.total)} in all</span>`,
    ...STATES.map((s) => `<span class="count where-${s}" data-state="${s}">${esc(counts[s])} ${esc(s)}</span>`),
  ].join('');
}

function draw(answer, f) {
  const filtered = FILTERS.some((name) => f[name]);
  $('accounts').querySelector('tbody').innerHTML =
    answer.accounts.length === 0
      ? `<tr><td colspan="${COLUMNS}" class="empty">${filtered ? 'No account matches these filters.' : 'No account in this installation.'}</td></tr>`
      : answer.accounts.map(row).join('');
  drawCounts(answer.counts);
  $('shown').textContent = filtered
    ? `${answer.accounts.length} of ${answer.counts.total} shown`
    : `${answer.counts.total} account${answer.counts.total === 1 ? '' : 's'}`;
}

function setLive(state, text) {
  const el = $('live');
  el.dataset.live = state;
  el.querySelector('.text').textContent = text;
}

/** Asks for the list with the URL's filters and draws it; the next ask follows POLL_MS after this one ends. */
async function refresh() {
  clearTimeout(timer);
  timer = null;
  const mine = ++asked;
  const f = filters();
  try {
    const answer = (await getJson(apiPath(f))).body;
    if (mine !== asked) return;
    draw(answer, f);
    showError(null);
    stampUpdated();
    setLive('live', 'every 5 s');
  } catch (err) {
    if (mine !== asked) return;
    showError(errorText(err));
    setLive('offline', 'retrying');
  } finally {
    if (mine === asked && !document.hidden) timer = setTimeout(refresh, POLL_MS);
  }
}

/** The form's filters into the URL (replaced: the back button leaves the page, not each keystroke), then the list. */
function apply() {
  clearTimeout(typing);
  typing = null;
  const q = new URLSearchParams();
  const given = {
    q: $('f-q').value.trim(),
    state: $('f-state').value,
    health: $('f-health').value,
    venue: $('f-venue').value,
  };
  for (const name of FILTERS) if (given[name]) q.set(name, given[name]);
  const query = q.toString();
  history.replaceState(null, '', query === '' ? location.pathname : `${location.pathname}?${query}`);
  void refresh();
}

/** The form shows the URL's filters (a value the selects do not offer stays in the URL and the API says why). */
function setUpForm() {
  const f = filters();
  $('f-q').value = f.q;
  for (const name of ['state', 'health', 'venue']) $(`f-${name}`).value = f[name];
}

setUpForm();
$('filters').addEventListener('submit', (e) => {
  e.preventDefault();
  apply();
});
$('f-q').addEventListener('input', () => {
  clearTimeout(typing);
  typing = setTimeout(apply, TYPING_MS);
});
for (const name of ['state', 'health', 'venue']) $(`f-${name}`).addEventListener('change', apply);
$('f-clear').addEventListener('click', () => {
  $('filters').reset();
  apply();
});
// A hidden tab stops asking; shown again, it asks at once.
document.addEventListener('visibilitychange', () => {
  if (!document.hidden) void refresh();
  else {
    clearTimeout(timer);
    timer = null;
  }
});
void refresh();
