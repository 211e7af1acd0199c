// Closed trades (/api/trades/closed): newest close first, filtered by symbol and UTC days, a page at a
// time (the next one asked with the last trade's lifetime), each row linking to the trade's page. The
// filters live in the page's URL (?symbol=&from=&to=), so a filtered list can be shared or reloaded.
// Refreshed when a position's lifetime ends (its closed trade is recorded just after).
import {
  $,
  esc,
  exitBadge,
  getJson,
  live,
  num,
  showError,
  sideBadge,
  signed,
  stampUpdated,
  tradeHref,
  utc,
} from './common.js';

const PAGE = 100;
const COLUMNS = 10;
const DAY_MS = 86_400_000;
/** The trades shown, oldest page last; how many the next refresh asks for (the pages loaded so far). */
let shown = [];
let wanted = PAGE;
let exhausted = false;

/** The filters as the URL and the form hold them: a symbol, and UTC days (YYYY-MM-DD) both included. */
function filters() {
  const q = new URLSearchParams(location.search);
  const day = (v) => (/^\d{4}-\d{2}-\d{2}$/.test(v ?? '') ? v : '');
  return { symbol: q.get('symbol') ?? '', from: day(q.get('from')), to: day(q.get('to')) };
}

/** The API query of the filters: `from` the day's start, `to` the next day's start (the day is included). */
function apiQuery(f, limit, after) {
  const q = new URLSearchParams({ limit: String(limit) });
  if (f.symbol) q.set('symbol', f.symbol);
  if (f.from) q.set('from', `${f.from}T00:00:00Z`);
  if (f.to) q.set('to', new Date(Date.parse(`${f.to}T00:00:00Z`) + DAY_MS).toISOString());
  if (after) q.set('after', after);
  return `/api/trades/closed?${q.toString()}`;
}

function row(t) {
  return `<tr data-lifetime="${esc(t.lifetime)}" data-ticket="${esc(t.ticket)}" data-exit="${esc(t.exitReason)}">
<td class="time" data-label="Closed">${esc(utc(t.closeTime))}</td>
<td data-label="Ticket"><a class="mono" href="${esc(tradeHref(t.ticket))}">${esc(t.ticket)}</a>${t.lifetime.endsWith('#1') ? '' : ` <span class="muted">${esc(t.lifetime.slice(t.lifetime.lastIndexOf('#')))}</span>`}</td>
<td data-label="Symbol">${esc(t.symbol)}</td>
<td data-label="Side">${sideBadge(t.side)}</td>
<td class="num" data-label="Volume">${esc(num(t.volume.opened))}</td>
<td class="num" data-label="Entry">${esc(num(t.entryPrice))}</td>
<td class="num" data-label="Exit">${esc(num(t.exitPrice))}</td>
<td data-label="Exit reason">${exitBadge(t.exitReason)}</td>
<td class="num c-realized" data-label="Realized">${signed(t.realizedProfit, 2)}</td>
<td class="num c-r" data-label="R">${signed(t.r, 2)}</td>
</tr>`;
}

function render() {
  const body = $('trades').querySelector('tbody');
  const f = filters();
  const filtered = f.symbol || f.from || f.to;
  body.innerHTML =
    shown.length === 0
      ? `<tr><td colspan="${COLUMNS}" class="empty">${filtered ? 'No closed trade matches these filters.' : 'No closed trade yet.'}</td></tr>`
      : shown.map(row).join('');
  $('more').hidden = exhausted;
  const known = shown.filter((t) => t.realizedProfit !== null);
  const rs = shown.filter((t) => t.r !== null);
  const wins = known.filter((t) => t.realizedProfit > 0).length;
  const total = known.reduce((a, t) => a + t.realizedProfit, 0);
  $('summary').innerHTML = [
    ['Trades shown', 'count', esc(shown.length)],
    ['Realized (known)', 'realized', known.length === 0 ? '<span class="muted">—</span>' : signed(total, 2)],
    ['Won', 'won', known.length === 0 ? '<span class="muted">—</span>' : esc(`${wins} of ${known.length}`)],
    [
      'Mean R',
      'meanR',
      rs.length === 0 ? '<span class="muted">—</span>' : signed(rs.reduce((a, t) => a + t.r, 0) / rs.length, 2),
    ],
  ]
    .map(([label, field, html]) => `<dt>${esc(label)}</dt><dd data-field="${esc(field)}">${html}</dd>`)
    .join('');
  $('counts').textContent = `${shown.length} trade${shown.length === 1 ? '' : 's'}${exhausted ? '' : ' (more below)'}`;
}

/** The first `wanted` trades of the list (the pages loaded so far), afresh. */
async function refresh() {
  const f = filters();
  const out = [];
  let after = null;
  for (;;) {
    const ask = Math.min(500, wanted - out.length);
    const page = (await getJson(apiQuery(f, ask, after))).body;
    out.push(...page);
    if (page.length < ask) {
      exhausted = true;
      break;
    }
    exhausted = false;
    if (out.length >= wanted) break;
    after = page[page.length - 1].lifetime;
  }
  shown = out;
  render();
  showError(null);
  stampUpdated();
}

/** The next page, after the last trade shown. */
async function more() {
  const last = shown[shown.length - 1];
  if (!last) return;
  const page = (await getJson(apiQuery(filters(), PAGE, last.lifetime))).body;
  shown.push(...page);
  wanted = shown.length;
  exhausted = page.length < PAGE;
  render();
}

/** The form shows the URL's filters; the symbols offered are the account's (its feeds), and any in the URL. */
async function setUpForm() {
  const f = filters();
  $('f-from').value = f.from;
  $('f-to').value = f.to;
  let symbols = [];
  try {
    symbols = (await getJson('/api/health', [503])).body.feeds.map((x) => x.symbol);
  } catch {
    // The list still works with "all" and the URL's symbol.
  }
  if (f.symbol && !symbols.includes(f.symbol)) symbols.push(f.symbol);
  $('f-symbol').innerHTML =
    `<option value="">all</option>${symbols.map((s) => `<option value="${esc(s)}">${esc(s)}</option>`).join('')}`;
  $('f-symbol').value = f.symbol;
}

function apply(f) {
  const q = new URLSearchParams();
  if (f.symbol) q.set('symbol', f.symbol);
  if (f.from) q.set('from', f.from);
  if (f.to) q.set('to', f.to);
  history.replaceState(null, '', q.toString() === '' ? location.pathname : `${location.pathname}?${q.toString()}`);
  wanted = PAGE;
  refresh().catch((err) => showError(err.message));
}

$('filters').addEventListener('submit', (e) => {
  e.preventDefault();
  apply({ symbol: $('f-symbol').value, from: $('f-from').value, to: $('f-to').value });
});
$('f-clear').addEventListener('click', () => {
  $('f-symbol').value = '';
  $('f-from').value = '';
  $('f-to').value = '';
  apply({ symbol: '', from: '', to: '' });
});
$('more').addEventListener('click', () => more().catch((err) => showError(err.message)));

setUpForm().finally(() => {
  // A trade is recorded just after its lifetime ends: that decision is the cue to look again, and once
  // more a moment later (the record is made off the engine's step, after the decision is stored).
  const stream = live({
    refresh,
    minGapMs: 2000,
    relevant: (type, data) => {
      if (type !== 'decision' || data.reason !== 'lifetime_ended') return false;
      setTimeout(() => stream.refreshSoon(), 2500);
      return true;
    },
  });
});
