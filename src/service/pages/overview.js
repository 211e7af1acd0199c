// The overview: every open position under management (its exit plan, stop owner and DTMS state) and the
// health banner, refreshed live from /api/events.
import {
  errorText,
  esc,
  getJson,
  live,
  num,
  showError,
  sideBadge,
  signed,
  stampUpdated,
  stateBadge,
  tradeHref,
  utc,
} from './common.js';

const COLUMNS = 16;

function flag(on, label, title) {
  return `<span class="flag${on ? ' on' : ''}" title="${esc(title)}: ${on ? 'yes' : 'no'}">${esc(label)}</span>`;
}

/** Progress toward the take profit; the fill's width is set through the DOM (the CSP forbids inline styles). */
function progress(pct) {
  if (typeof pct !== 'number' || !Number.isFinite(pct)) return '<span class="muted">—</span>';
  const width = Math.min(100, Math.abs(pct));
  return `<div class="progress${pct < 0 ? ' neg' : ''}" data-width="${esc(width)}" title="${esc(pct.toFixed(1))}% of the way from entry to TP"><div class="fill"></div><span class="label">${esc(pct.toFixed(1))}%</span></div>`;
}

/**
 * Breakeven puts the stop at entry + spread - an ATR buffer (a buy; mirrored for a sell): the stop can
 * stay a little on the losing side of the entry. Then the flag says "BE (buffered)", never a plain "BE"
 * that would promise no loss.
 */
function breakevenFlag(p) {
  const done = p.exits.breakevenDone;
  const buffered = done && typeof p.sl === 'number' && (p.side === 'buy' ? p.sl < p.entry : p.sl > p.entry);
  if (buffered)
    return flag(
      true,
      'BE (buffered)',
      `breakeven done; the stop is ${p.side === 'buy' ? 'below' : 'above'} the entry by its ATR buffer, so a small loss is still possible`,
    );
  return flag(done, 'BE', 'stop at breakeven or better');
}

function row(p) {
  const x = p.exits;
  const d = p.dtms;
  const owner = p.stopOwner === 'dtms' ? 'dtms' : 'exit_plan';
  const hedge = d?.hedgeId
    ? ` <span class="muted" title="the DTMS hedge of this position">hedge ${esc(d.hedgeId)}</span>`
    : '';
  return `<tr data-ticket="${esc(p.ticket)}">
<td class="c-ticket" data-label="Ticket"><a class="mono" href="${esc(tradeHref(p.ticket))}">${esc(p.ticket)}</a></td>
<td class="c-symbol" data-label="Symbol">${esc(p.symbol)}</td>
<td class="c-side" data-label="Side">${sideBadge(p.side)}</td>
<td class="num c-volume" data-label="Volume">${esc(num(p.volume))}</td>
<td class="num c-entry" data-label="Entry">${esc(num(p.entry))}</td>
<td class="num c-sl" data-label="SL">${esc(num(p.sl))}${p.shadow ? `<br><span class="muted shadow-sl" title="the stop Warden would have (shadow mode: nothing is sent)">would-be ${esc(num(p.shadow.wouldBeSl))}</span>` : ''}</td>
<td class="num c-tp" data-label="TP">${esc(num(p.tp))}</td>
<td class="num c-price" data-label="Price">${esc(num(p.price))}</td>
<td class="num c-profit" data-label="Profit">${signed(p.profit, 2)}</td>
<td class="num c-r" data-label="R">${signed(p.rAchieved, 2)}</td>
<td class="c-progress wide" data-label="Progress to TP">${progress(p.progressPct)}</td>
<td class="c-owner" data-label="Stop owner"><span class="badge owner-${owner}">${owner === 'dtms' ? 'DTMS' : 'exit plan'}</span></td>
<td class="c-flags wide" data-label="Exit plan">${breakevenFlag(p)}${flag(x.partialDone, 'partial', 'partial profit taken')}${flag(x.trailingActive, 'trailing', 'ATR trailing active')}</td>
<td class="c-exits" data-label="Exits"><span class="on-off ${x.enabled ? 'on' : 'off'}" title="intelligent exits (${esc(x.tradeType)})">${x.enabled ? 'on' : 'off'}</span></td>
<td class="c-dtms" data-label="DTMS" title="in this state since ${esc(d ? utc(d.since) : '—')}">${d ? stateBadge(d.state) : '<span class="muted">not defended</span>'}${hedge}</td>
<td class="num c-score" data-label="Score">${d ? signed(d.score, 1) : '<span class="muted">—</span>'}</td>
</tr>`;
}

function renderPositions(positions) {
  const body = document.querySelector('#positions tbody');
  body.innerHTML =
    positions.length === 0
      ? `<tr><td colspan="${COLUMNS}" class="empty">No open positions under management.</td></tr>`
      : positions.map(row).join('');
  for (const bar of body.querySelectorAll('.progress[data-width]'))
    bar.querySelector('.fill').style.width = `${Number(bar.dataset.width)}%`;
  const hedges = positions.filter((p) => p.dtms?.hedgeId).length;
  document.getElementById('counts').textContent =
    `${positions.length} position${positions.length === 1 ? '' : 's'}, ${hedges} hedged`;
}

function renderHealth(h) {
  const el = document.getElementById('health');
  const status = ['healthy', 'degraded', 'idle'].includes(h.status) ? h.status : 'error';
  el.className = `banner ${status}`;
  el.dataset.status = h.status;
  const stale = h.feeds.filter((f) => f.stale).map((f) => f.symbol);
  const parts = [
    `${h.positions} position${h.positions === 1 ? '' : 's'}`,
    `${h.hedges} hedge${h.hedges === 1 ? '' : 's'}`,
    `feeds ${h.feeds.length - stale.length}/${h.feeds.length} fresh`,
    `reported ${utc(h.at)}`,
  ];
  const reasons =
    h.reasons.length > 0 ? `<ul class="reasons">${h.reasons.map((r) => `<li>${esc(r)}</li>`).join('')}</ul>` : '';
  // One line per symbol: its features ready, or still warming up and what they lack.
  const gap = (m) => `${m.feature} (${m.timeframe} ${m.barsHave}/${m.barsNeeded})`;
  const features = (h.features ?? []).map(
    (f) =>
      `<li data-symbol="${esc(f.symbol)}" data-ready="${f.featuresReady}">${esc(f.symbol)}: ${f.featuresReady ? 'features ready' : esc(`warming up: missing ${f.missing.map(gap).join(', ')}`)}</li>`,
  );
  const ready = features.length > 0 ? `<ul class="features">${features.join('')}</ul>` : '';
  el.innerHTML = `Health: <strong class="status">${esc(h.status)}</strong> <span class="muted">· ${parts.map(esc).join(' · ')}</span>${reasons}${ready}`;
}

/** Positions a page of /api/positions holds at most (the API refuses more). */
const PAGE = 500;

/** Every open position: the list's pages in ticket order, each after the last ticket of the one before. */
async function allPositions() {
  const all = [];
  for (let after = null; ; ) {
    const page = (
      await getJson(`/api/positions?limit=${PAGE}${after === null ? '' : `&after=${encodeURIComponent(after)}`}`)
    ).body;
    all.push(...page);
    if (page.length < PAGE) return all;
    after = page[page.length - 1].ticket;
  }
}

/** Shadow mode, read once: the banner names the symbols Warden decides on without sending. */
async function showMode() {
  const s = (await getJson('/api/shadow')).body;
  const el = document.getElementById('mode');
  if (s.mode !== 'shadow') return;
  el.hidden = false;
  el.innerHTML = `<strong>SHADOW MODE</strong>: Warden decides and sends nothing for ${esc(s.shadowed.join(', ') || 'no symbol')}; the would-be stop is shown under the venue's. <a href="/shadow">Would-be against actual</a>`;
}

showMode().catch(() => {});

async function refresh() {
  const [positions, health] = await Promise.all([allPositions(), getJson('/api/health', [503])]);
  renderPositions(positions);
  renderHealth(health.body);
  showError(null);
  stampUpdated();
}

/**
 * The API did not answer: the health is not known now. The banner says so beside the last report,
 * never a green "healthy" under a red "cannot be reached".
 */
function healthUnknown(err) {
  const el = document.getElementById('health');
  const last = el.dataset.status ? `; the last report said ${el.dataset.status}` : '';
  el.className = 'banner unknown';
  el.dataset.status = '';
  el.innerHTML = `Health: <strong class="status">unknown</strong> <span class="muted">· ${esc(errorText(err))}${esc(last)}</span>`;
}

// Prices move on every played bar: each step is worth a (throttled) refresh.
live({ refresh, onError: healthUnknown });
