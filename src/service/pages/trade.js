// A trade's page: the DTMS trade JSON of /api/dtms/trade/{ticket}, the exit plan, the price with the
// stop path (lightweight-charts), the DTMS actions and the decision history with reasons, refreshed
// live. A ticket that closed under Warden's management shows its whole life instead
// (/api/positions/{ticket} answers 404 naming its closed trades): entry, exit and why, the realized
// profit with Warden's partials and hedges, R, where each figure came from, the closing deals, the
// stop path and the decisions. A ticket Warden never managed gets a clear message; a position that
// closes while shown keeps its last data.
import {
  $,
  errorText,
  esc,
  exitBadge,
  getJson,
  live,
  num,
  sendJson,
  showError,
  sideBadge,
  signed,
  stampUpdated,
  stateBadge,
  utc,
  yesNo,
} from './common.js';
import { chartNote, renderChart, reframeChart } from './tradeChart.js';
import { renderProposals, wireProposalButtons } from './tradeProposals.js';
import { BY_WORDS, exitWords, source } from './tradeWords.js';

function ticketFromPath() {
  const last = location.pathname.split('/').filter(Boolean).pop() ?? '';
  try {
    return decodeURIComponent(last);
  } catch {
    return last;
  }
}

const ticket = ticketFromPath();
const enc = encodeURIComponent(ticket);
const api = {
  trade: `/api/dtms/trade/${enc}`,
  position: `/api/positions/${enc}`,
  stops: `/api/positions/${enc}/stops`,
  decisions: `/api/positions/${enc}/decisions?limit=200`,
  bars: (symbol) => `/api/market/${encodeURIComponent(symbol)}/bars?limit=600`,
};

/** 'loading' until the first answer, 'open' while managed, 'closed' for a closed trade, 'gone' once the API no longer knows the ticket. */
let phase = 'loading';
let symbol = null;
let side = 'buy';
let stream = null;

const onOff = (b) => `<span class="on-off ${b ? 'on' : 'off'}">${b ? 'on' : 'off'}</span>`;

/** A definition list; every value is HTML built from escaped data, tagged with the JSON field it shows. */
function fields(id, rows) {
  $(id).innerHTML = rows
    .map(([label, field, html]) => `<dt>${esc(label)}</dt><dd data-field="${esc(field)}">${html}</dd>`)
    .join('');
}

function renderTrade(body) {
  const t = body.trade_info;
  symbol = t.symbol;
  side = t.type === 'SELL' ? 'sell' : 'buy';
  document.title = `Trade ${ticket} ${t.symbol} · Warden`;
  $('symbol').textContent = t.symbol;
  $('side').innerHTML = sideBadge(t.type);
  $('state').innerHTML = stateBadge(t.state);
  $('summary').textContent = body.summary;
  fields('f-position', [
    ['Ticket', 'trade_info.ticket', esc(t.ticket)],
    ['Type', 'trade_info.type', esc(t.type)],
    ['Volume', 'trade_info.volume', esc(num(t.volume))],
    ['Open price', 'trade_info.open_price', esc(num(t.open_price))],
    ['Current price', 'trade_info.current_price', esc(num(t.current_price))],
    ['Stop loss', 'trade_info.sl', esc(num(t.sl))],
    ['Take profit', 'trade_info.tp', esc(num(t.tp))],
    ['Profit', 'trade_info.profit', signed(t.profit, 2)],
  ]);
  fields('f-dtms', [
    ['State', 'trade_info.state', stateBadge(t.state)],
    ['Score', 'trade_info.current_score', signed(t.current_score, 1)],
    ['In state since', 'trade_info.state_entry_time', `<span class="mono">${esc(utc(t.state_entry_time))}</span>`],
    ['Protection active', 'trade_info.protection_active', esc(yesNo(t.protection_active))],
    ['Structural warnings', 'trade_info.warnings.structural', esc(t.warnings.structural)],
    ['VWAP warnings', 'trade_info.warnings.vwap', esc(t.warnings.vwap)],
    ['Momentum warnings', 'trade_info.warnings.momentum', esc(t.warnings.momentum)],
  ]);
  renderPerformance(t);
  const ie = t.intelligent_exits;
  renderExits(ie, null);
  const actions = [...t.actions_taken].reverse();
  $('actions').querySelector('tbody').innerHTML =
    actions.length === 0
      ? '<tr><td colspan="5" class="empty">No DTMS action on this trade yet.</td></tr>'
      : actions
          .map(
            (a) =>
              `<tr data-action="${esc(a.action)}"><td class="time" data-label="Time">${esc(utc(a.time))}</td><td data-label="Action">${esc(a.action)}</td><td data-label="Kind">${esc(a.kind)}</td><td data-label="Status">${esc(a.status)}</td><td class="note" data-label="Reason">${esc(a.reason)}</td></tr>`,
          )
          .join('');
  $('raw-path').textContent = api.trade;
  $('raw').textContent = JSON.stringify(body, null, 2);
}

let lastPosition = null;

/** The DTMS trade JSON's performance block, and what Warden's partials and hedges realized so far when /api/positions/{ticket} answered. */
function renderPerformance(t) {
  const rows = [
    ['R achieved', 'trade_info.performance.r_achieved', signed(t.performance.r_achieved, 2)],
    ['Progress to TP', 'trade_info.performance.progress_pct', signed(t.performance.progress_pct, 1, '%')],
    ['Profit (open part)', 'trade_info.performance.profit', signed(t.performance.profit, 2)],
  ];
  if (lastPosition !== null)
    rows.push([
      'Realized so far',
      'realizedProfit',
      `${signed(lastPosition.realizedProfit, 2)} <span class="muted">(partials, hedges)</span>`,
    ]);
  fields('f-performance', rows);
}

/** The DTMS trade JSON's three intelligent-exit flags, and the exit plan behind them when /api/positions/{ticket} answered. */
/** " (base 30%)" when the advanced triggers moved a trigger from the base the trader edits; '' when not. */
const baseNote = (used, base) => (base === undefined || used === base ? '' : ` (base ${base}%)`);

function renderExits(ie, p) {
  if (p !== null) lastPosition = p;
  const plan = lastPosition;
  const rows = [
    ['Breakeven triggered', 'trade_info.intelligent_exits.breakeven_triggered', esc(yesNo(ie.breakeven_triggered))],
    [
      'Partial profit triggered',
      'trade_info.intelligent_exits.partial_profit_triggered',
      esc(yesNo(ie.partial_profit_triggered)),
    ],
    ['Trailing stop active', 'trade_info.intelligent_exits.trailing_stop_active', esc(yesNo(ie.trailing_stop_active))],
  ];
  if (plan !== null) {
    const x = plan.exits;
    rows.push(
      ['Intelligent exits', 'exits.enabled', onOff(x.enabled)],
      ['Trade type', 'exits.tradeType', esc(x.tradeType)],
      [
        'Triggers',
        'exits.triggers',
        esc(
          `breakeven at ${x.breakevenR === null ? `${x.breakevenPct}% of the way to TP${baseNote(x.breakevenPct, x.baseBreakevenPct)}` : `${x.breakevenR} R of profit`}, partial at ${x.partialPct}%${baseNote(x.partialPct, x.basePartialPct)} (closes ${x.partialClosePct}%)`,
        ),
      ],
      [
        'Stop owner',
        'stopOwner',
        `<span class="badge owner-${plan.stopOwner === 'dtms' ? 'dtms' : 'exit_plan'}">${plan.stopOwner === 'dtms' ? 'DTMS' : 'exit plan'}</span>`,
      ],
      ['Trail moves', 'exits.trailMoves', esc(x.trailMoves)],
      [
        'Intent in flight',
        'exits.pending',
        x.pending === null ? '<span class="muted">none</span>' : `<span class="mono">${esc(x.pending)}</span>`,
      ],
    );
    if (plan.dtms?.hedgeId)
      rows.push(['DTMS hedge', 'dtms.hedgeId', `<span class="mono">${esc(plan.dtms.hedgeId)}</span>`]);
  }
  fields('f-exits', rows);
}

/** The decisions last shown (oldest first), filtered again when a filter changes. */
let shownDecisions = [];

/**
 * The history as the filters show it: a rule, an outcome, and repeats hidden unless asked for. A
 * repeat is a record whose rule gave the same outcome and reason as that rule's record before it (a
 * trail that keeps waiting for a tighter stop, triggers refreshed to the same values): the first of a
 * run is shown, the rest only with "show repeats".
 */
function filteredDecisions(list) {
  const rule = $('filter-rule').value;
  const outcome = $('filter-outcome').value;
  const repeats = $('filter-repeats').checked;
  const last = new Map();
  const out = [];
  let hidden = 0;
  for (const d of list) {
    const key = `${d.outcome}|${d.reason}|${d.note}`;
    const repeat = last.get(d.rule) === key;
    last.set(d.rule, key);
    if ((rule !== '' && d.rule !== rule) || (outcome !== '' && d.outcome !== outcome)) continue;
    if (repeat && !repeats) {
      hidden++;
      continue;
    }
    out.push(d);
  }
  return { rows: out, hidden };
}

function renderDecisions(list) {
  shownDecisions = list;
  const { rows: kept, hidden } = filteredDecisions(list);
  const rows = [...kept].reverse();
  $('repeats-hidden').textContent = hidden > 0 ? `${hidden} repeat${hidden === 1 ? '' : 's'} hidden` : '';
  $('decisions').querySelector('tbody').innerHTML =
    rows.length === 0
      ? `<tr><td colspan="7" class="empty">${list.length === 0 ? 'No decision recorded yet.' : 'No decision matches the filters.'}</td></tr>`
      : rows
          .map(
            (d) => `<tr data-rule="${esc(d.rule)}" data-outcome="${esc(d.outcome)}">
<td class="time" data-label="Time">${esc(utc(d.time))}</td><td data-label="Rule">${esc(d.rule)}</td><td data-label="Outcome">${esc(d.outcome)}</td><td class="wide" data-label="Reason">${esc(d.reason)}</td>
<td class="num" data-label="Old SL">${esc(num(d.oldSl))}</td><td class="num" data-label="New SL">${esc(num(d.newSl))}</td><td class="note" data-label="Note">${esc(d.note)}</td></tr>`,
          )
          .join('');
}

for (const id of ['filter-rule', 'filter-outcome', 'filter-repeats'])
  $(id).addEventListener('change', () => renderDecisions(shownDecisions));

// ---- actions ---------------------------------------------------------------------------------------

/** The plan form's fields are the trader's while being edited: a refresh does not overwrite them. */
let planEdited = false;
for (const id of ['plan-be', 'plan-partial', 'plan-close', 'plan-trailing'])
  $(id).addEventListener('input', () => (planEdited = true));

/** The buttons and the plan form, as the position is now (from /api/positions/{ticket}). */
function renderControls(p) {
  $('controls').hidden = false;
  const x = p.exits;
  const exits = $('act-exits');
  exits.textContent = x.enabled ? 'Turn exits off' : 'Turn exits on';
  exits.dataset.enable = x.enabled ? 'false' : 'true';
  const dtms = $('act-dtms');
  dtms.disabled = p.dtms === null;
  dtms.textContent =
    p.dtms === null
      ? 'DTMS does not defend it'
      : p.dtms.enabled === false
        ? 'Give back to DTMS'
        : "Take out of DTMS's hands";
  dtms.dataset.enable = p.dtms !== null && p.dtms.enabled === false ? 'true' : 'false';
  const trail = $('act-trail');
  trail.disabled = x.trailNow || !x.trailingEnabled;
  trail.title = x.trailNow
    ? 'trailing is already started'
    : !x.trailingEnabled
      ? 'trailing is off for this position: turn it on in the plan first'
      : 'start ATR trailing now, before breakeven (the stop still only tightens)';
  if (!planEdited) {
    // The base triggers (the advanced rules adjust from them); a breakeven set in R shows as empty until edited.
    $('plan-be').value = x.breakevenR === null ? String(x.baseBreakevenPct) : '';
    $('plan-be').placeholder = x.breakevenR === null ? '' : `${x.breakevenR} R now`;
    $('plan-partial').value = String(x.basePartialPct);
    $('plan-close').value = String(x.partialClosePct);
    $('plan-trailing').checked = x.trailingEnabled;
  }
  $('plan-be').disabled = x.breakevenDone;
  $('plan-partial').disabled = x.partialDone;
  $('plan-close').disabled = x.partialDone;
}

/** Runs an action, says its answer (or why not) under the buttons, and refreshes the page. */
async function act(what, run) {
  const out = $('act-result');
  out.className = 'act-result';
  out.textContent = `${what}…`;
  try {
    const answer = await run();
    out.classList.add('ok');
    out.textContent = answer && typeof answer.message === 'string' ? answer.message : `${what}: done`;
  } catch (err) {
    out.classList.add('error');
    out.textContent = `${what}: ${errorText(err)}`;
  }
  await refresh().catch((err) => showError(errorText(err)));
}

const positionPath = (rest) => `/api/positions/${enc}${rest}`;

$('act-exits').addEventListener('click', () => {
  const enable = $('act-exits').dataset.enable === 'true';
  return act(enable ? 'Exits on' : 'Exits off', () =>
    sendJson('POST', positionPath(`/exits/${enable ? 'enable' : 'disable'}`)),
  );
});
$('act-dtms').addEventListener('click', () => {
  const enable = $('act-dtms').dataset.enable === 'true';
  const reason = window.prompt(
    enable
      ? 'Why give it back to DTMS? (kept in the history)'
      : "Why take it out of DTMS's hands? (kept in the history)",
    '',
  );
  if (reason === null) return undefined;
  return act(enable ? 'Given back to DTMS' : "Out of DTMS's hands", () =>
    sendJson(
      'POST',
      positionPath(`/dtms/${enable ? 'enable' : 'disable'}`),
      reason.trim() === '' ? {} : { reason: reason.trim() },
    ),
  );
});
$('act-trail').addEventListener('click', () =>
  act('Trailing started', () => sendJson('POST', positionPath('/trailing/start'))),
);

/** The plan form's changes, checked as the API checks them; a message when one is out of range. */
function planPatch() {
  const p = lastPosition?.exits;
  if (!p) return { error: 'the position is not loaded yet' };
  const patch = {};
  // The range is the input's (min, max in the page), which is the API's: the config's own bounds.
  const read = (id, label) => {
    const el = $(id);
    if (el.disabled || el.value.trim() === '') return undefined;
    const v = Number(el.value);
    const min = Number(el.min);
    const max = Number(el.max);
    if (!Number.isFinite(v) || v < min || v > max) throw new Error(`${label} must be a number from ${min} to ${max}`);
    return v;
  };
  try {
    const be = read('plan-be', 'Breakeven (% of the way to TP)');
    const partial = read('plan-partial', 'Partial close (% of the way to TP)');
    const close = read('plan-close', 'Partial size (% of the volume)');
    // Compared with the bases, which the form shows and the API sets (the position's triggers are the
    // bases as the advanced rules adjust them).
    if (be !== undefined && (be !== p.baseBreakevenPct || p.breakevenR !== null)) patch.breakevenPct = be;
    if (partial !== undefined && partial !== p.basePartialPct) patch.partialPct = partial;
    if (close !== undefined && close !== p.partialClosePct) patch.partialClosePct = close;
    if ($('plan-trailing').checked !== p.trailingEnabled) patch.trailingEnabled = $('plan-trailing').checked;
    if ((patch.partialPct ?? p.basePartialPct) <= (patch.breakevenPct ?? p.baseBreakevenPct))
      throw new Error("the partial close must come after breakeven: its % must be above breakeven's");
  } catch (err) {
    return { error: err.message };
  }
  return Object.keys(patch).length === 0 ? { error: 'nothing changed' } : { patch };
}

/** One saved field, with the trigger used now and what moved it when the advanced rules changed the base. */
function appliedText(key, value, applied) {
  if (!applied || applied.adjustedBy === null) return `${key} ${value}`;
  return `${key} ${value} (used now: ${applied.effective}; ${applied.adjustedBy})`;
}

$('plan-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const r = planPatch();
  if (r.error) {
    $('act-result').className = 'act-result error';
    $('act-result').textContent = `Plan: ${r.error}`;
    return undefined;
  }
  return act('Plan saved', async () => {
    const answer = await sendJson('PATCH', positionPath('/plan'), r.patch);
    planEdited = false;
    return {
      message: `plan saved: ${Object.entries(r.patch)
        .map(([k, v]) => appliedText(k, v, answer?.applied?.[k]))
        .join(', ')}`,
    };
  });
});

// ---- loading and live refresh ---------------------------------------------------------------------

/** The ticket is unknown to the API: never managed (a clear message) or closed while shown (last data kept). */
async function gone(err) {
  // Nothing to act on any more: the actions go.
  $('controls').hidden = true;
  const before = phase;
  phase = 'gone';
  stream?.close();
  const liveEl = $('live');
  liveEl.dataset.live = 'offline';
  liveEl.querySelector('.text').textContent = 'not live: the position is not managed';
  if (before === 'loading') {
    $('content').hidden = true;
    document.title = `Trade ${ticket} not under management · Warden`;
    $('missing').hidden = false;
    $('missing').innerHTML = `<strong>Trade ${esc(ticket)} is not under management.</strong>
<p>Warden has no open position with this ticket: it may have closed, or it was never managed here. <span class="muted">The API says: ${esc(err.message)}</span></p>
<p><a href="/">Back to the open positions</a></p>`;
    return;
  }
  $('closed').hidden = false;
  $('closed').innerHTML =
    `<strong>Position ${esc(ticket)} is no longer under management</strong> (closed or let go; noticed at ${esc(utc(Date.now()))}). What is shown below is its last known state; <a href="${esc(location.pathname)}">reload</a> for its closed trade once recorded. <a href="/">Open positions</a>`;
  // Its last decisions (the close among them) are still in the journal.
  try {
    renderDecisions((await getJson(api.decisions)).body);
  } catch {
    // The history shown stays as it was.
  }
}

const isGone = (err) => err && (err.status === 404 || err.status === 400);

/**
 * Where the ticket's closed trades are, when it closed under management (the 404 of /api/positions/{ticket}
 * names them), else null; `err` is what the page shows when neither.
 */
async function closedPointer() {
  try {
    await getJson(api.position);
    return { url: null, err: null }; // open again meanwhile: the next refresh shows it
  } catch (err) {
    return { url: err?.status === 404 && typeof err.body?.closed === 'string' ? err.body.closed : null, err };
  }
}

async function refresh() {
  if (phase === 'gone' || phase === 'closed') return;
  let trade;
  try {
    trade = await getJson(api.trade);
  } catch (err) {
    if (!isGone(err)) throw err;
    if (phase === 'loading' && err.status === 404) {
      const pointer = await closedPointer();
      if (pointer.url !== null) return showClosed(pointer.url);
      return gone(pointer.err ?? err);
    }
    return gone(err);
  }
  phase = 'open';
  renderTrade(trade.body);
  const [position, stops, decisions, bars] = await Promise.allSettled([
    getJson(api.position),
    getJson(api.stops),
    getJson(api.decisions),
    getJson(api.bars(symbol)),
  ]);
  // A 404 here means the position closed in between: the next refresh says so.
  const problems = [position, stops, decisions, bars]
    .filter((r) => r.status === 'rejected' && !isGone(r.reason))
    .map((r) => errorText(r.reason));
  if (position.status === 'fulfilled') {
    renderExits(trade.body.trade_info.intelligent_exits, position.value.body);
    renderPerformance(trade.body.trade_info);
    renderControls(position.value.body);
  }
  const decisionList = decisions.status === 'fulfilled' ? decisions.value.body : null;
  if (decisionList !== null) renderDecisions(decisionList);
  if (bars.status === 'fulfilled')
    renderChart(bars.value.body, stops.status === 'fulfilled' ? stops.value.body : null, decisionList, null, {
      side,
      symbol,
    });
  await renderProposals(enc).catch((err) => problems.push(errorText(err)));
  showError(problems.length > 0 ? problems[0] : null);
  stampUpdated();
}

wireProposalButtons(act);

// ---- a closed trade -------------------------------------------------------------------------------------

let lifetimes = [];

/** Shows the ticket's closed trades (the latest lifetime first shown; the others a click away). */
async function showClosed(url) {
  phase = 'closed';
  const liveEl = $('live');
  liveEl.dataset.live = 'offline';
  liveEl.querySelector('.text').textContent = 'closed: nothing more to follow';
  lifetimes = (await getJson(`${url}?limit=100&decisions=200`)).body;
  for (const el of document.querySelectorAll('.open-only')) el.hidden = true;
  for (const el of document.querySelectorAll('.closed-only')) el.hidden = false;
  const pick = lifetimes.length - 1;
  const chooser = $('lifetimes');
  chooser.hidden = lifetimes.length < 2;
  chooser.innerHTML = `<span class="muted">Lifetimes of this ticket:</span>${lifetimes.map((l, i) => `<button type="button" data-i="${i}" aria-pressed="${i === pick}">${esc(l.trade.lifetime)} · ${esc(utc(l.trade.closeTime))}</button>`).join('')}`;
  for (const b of chooser.querySelectorAll('button')) {
    b.addEventListener('click', () => {
      for (const o of chooser.querySelectorAll('button')) o.setAttribute('aria-pressed', String(o === b));
      renderClosed(lifetimes[Number(b.dataset.i)]).catch((err) => showError(errorText(err)));
    });
  }
  await renderClosed(lifetimes[pick]);
  stampUpdated();
}

async function renderClosed(life) {
  const t = life.trade;
  symbol = t.symbol;
  side = t.side;
  document.title = `Trade ${ticket} ${t.symbol} (closed) · Warden`;
  $('symbol').textContent = t.symbol;
  $('side').innerHTML = sideBadge(t.side);
  $('state').innerHTML = exitBadge(t.exitReason);
  $('closed').hidden = false;
  $('closed').innerHTML =
    `<strong>Trade ${esc(ticket)} is closed</strong> (${esc(utc(t.closeTime))}, ${esc(exitWords(t))}). Below is its whole life under Warden: entry, exit, result, stop path and decisions. <a href="/trades">All closed trades</a>`;
  const lots = (v) => (v === null ? '<span class="muted">—</span>' : esc(`${num(v)} lots`));
  fields('c-trade', [
    ['Lifetime', 'closed.lifetime', `<span class="mono">${esc(t.lifetime)}</span>`],
    ['Opened', 'closed.openTime', `<span class="mono">${esc(utc(t.openTime))}</span>`],
    ['Closed', 'closed.closeTime', `<span class="mono">${esc(utc(t.closeTime))}</span>`],
    ['Entry price', 'closed.entryPrice', esc(num(t.entryPrice))],
    [
      'Exit price',
      'closed.exitPrice',
      `${esc(num(t.exitPrice))}${t.deals.length > 1 && t.exitPrice !== null ? ' <span class="muted">(volume-weighted)</span>' : ''}`,
    ],
    ['Exit reason', 'closed.exitReason', exitBadge(t.exitReason)],
    ['Volume', 'closed.volume.opened', lots(t.volume.opened)],
    ['Closed by Warden', 'closed.volume.closedByWarden', lots(t.volume.closedByWarden)],
  ]);
  fields('c-result', [
    ['Realized P/L', 'closed.realizedProfit', signed(t.realizedProfit, 2)],
    ['of it, partial closes', 'closed.partialsProfit', signed(t.partialsProfit, 2)],
    ['of it, DTMS hedges', 'closed.hedgesProfit', signed(t.hedgesProfit, 2)],
    ['Fees', 'closed.fees', signed(t.fees, 2)],
    ['Initial stop', 'closed.initialSl', esc(num(t.initialSl))],
    ['1 R', 'closed.riskMoney', esc(num(t.riskMoney, 2))],
    ['R', 'closed.r', signed(t.r, 2, ' R')],
  ]);
  const s = t.sources;
  fields('c-sources', [
    ['Entry', 'closed.sources.entry', source(s.entry)],
    ['Exit', 'closed.sources.exit', source(s.exit)],
    ['Realized', 'closed.sources.realized', source(s.realized)],
    ['Open time', 'closed.sources.openTime', source(s.openTime)],
    ['Initial stop', 'closed.sources.initialSl', source(s.initialSl)],
    [
      'Venue history',
      'closed.history',
      esc(
        `${t.history.venue}: ${t.history.status} (${t.history.attempts} ${t.history.attempts === 1 ? 'try' : 'tries'})${t.history.error ? `: ${t.history.error}` : ''}`,
      ),
    ],
  ]);
  $('c-notes').innerHTML = t.notes.map((n) => `<li>${esc(n)}</li>`).join('');
  $('deals').querySelector('tbody').innerHTML =
    t.deals.length === 0
      ? '<tr><td colspan="6" class="empty">No closing deal is known.</td></tr>'
      : t.deals
          .map(
            (
              d,
            ) => `<tr data-by="${esc(d.by)}"><td class="time" data-label="Time">${esc(utc(d.time))}</td><td data-label="By">${esc(BY_WORDS[d.by] ?? d.by)}${d.partial ? ' <span class="muted">(partial)</span>' : ''}</td>
<td class="num" data-label="Volume">${esc(num(d.volume))}</td><td class="num" data-label="Price">${esc(num(d.price))}</td><td class="num" data-label="Profit">${signed(d.profit, 2)}</td><td data-label="From">${source(d.from)}</td></tr>`,
          )
          .join('');
  $('hedges-block').hidden = t.hedges.length === 0;
  $('hedges').querySelector('tbody').innerHTML = t.hedges
    .map(
      (
        h,
      ) => `<tr><td data-label="Ticket" class="mono">${esc(h.ticket ?? '—')}</td><td data-label="Side">${sideBadge(h.side)}</td><td class="num" data-label="Volume">${esc(num(h.volume))}</td>
<td class="num" data-label="Open">${esc(num(h.openPrice))}</td><td class="num" data-label="Close">${esc(num(h.closePrice))}</td><td class="num" data-label="Profit">${signed(h.profit, 2)}</td></tr>`,
    )
    .join('');
  renderDecisions(life.decisions);
  $('raw-path').textContent = `/api/trades/closed/${enc}`;
  $('raw').textContent = JSON.stringify(life, null, 2);
  // The price around the trade, when the bars kept reach back to it.
  const bars = (await getJson(api.bars(t.symbol))).body;
  // Bars are epoch ms (chart data); the trade's times ISO.
  if (bars.length === 0 || Date.parse(t.closeTime) < bars[0].time) {
    $('chart').hidden = true;
    chartNote(
      `The price bars kept (the last ${bars.length} minutes of ${t.symbol}) do not reach back to this trade: no chart.`,
    );
    return;
  }
  $('chart').hidden = false;
  reframeChart();
  const path = { entry: t.entryPrice, openTime: t.openTime, tp: null, stops: life.stops };
  renderChart(bars, path, life.decisions, { time: t.closeTime, price: t.exitPrice, label: t.exitReason }, t);
}

$('ticket').textContent = ticket;
// The first load decides: a ticket the API does not know never opens the live stream.
refresh()
  .catch((err) => showError(errorText(err)))
  .then(() => {
    if (phase === 'gone' || phase === 'closed') return;
    stream = live({
      refresh,
      immediate: false,
      // This trade's own decisions, and the bars of its symbol (price, profit and the chart move with them).
      relevant: (type, data) =>
        type === 'decision' ? data.positionId === ticket : symbol === null || data.symbol === symbol,
    });
  });
