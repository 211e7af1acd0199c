// A trade's page: the DTMS trade JSON of /api/dtms/trade/{ticket}, the exit plan, the price with the
// stop path (lightweight-charts), the DTMS actions and the decision history with reasons, refreshed
// live. A ticket that closed under Warden's management shows its whole life instead
// (/api/positions/{ticket} answers 404 naming its closed trades): entry, exit and why, the realized
// profit with Warden's partials and hedges, R, where each figure came from, the closing deals, the
// stop path and the decisions. A ticket Warden never managed gets a clear message; a position that
// closes while shown keeps its last data.
import {
  errorText,
  esc,
  exitBadge,
  getJson,
  live,
  noteMarketTime,
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

const $ = (id) => document.getElementById(id);
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

// ---- the price chart ------------------------------------------------------------------------------

let chart = null;

function chartNote(text) {
  const el = $('chart-note');
  el.hidden = text === null;
  el.textContent = text ?? '';
}

function ensureChart() {
  if (chart !== null) return chart;
  const LC = window.LightweightCharts;
  if (!LC) {
    chartNote(
      'The price chart is unavailable: the chart library did not load (is lightweight-charts installed? npm ci).',
    );
    return null;
  }
  const c = LC.createChart($('chart'), {
    autoSize: true,
    // The attribution logo stays on (layout.attributionLogo defaults to true), as the library's notice asks.
    layout: { background: { type: 'solid', color: '#ffffff' }, textColor: '#1d232b', fontSize: 12 },
    grid: { vertLines: { color: '#f0f2f5' }, horzLines: { color: '#f0f2f5' } },
    rightPriceScale: { borderColor: '#dde1e6' },
    timeScale: { borderColor: '#dde1e6', timeVisible: true, secondsVisible: false },
    crosshair: { mode: LC.CrosshairMode.Normal },
    localization: { timeFormatter: (t) => (typeof t === 'number' ? utc(t * 1000) : String(t)) },
  });
  const levels = []; // entry, stop and take profit: always inside the price scale, however far from the bars
  const candles = c.addSeries(LC.CandlestickSeries, {
    autoscaleInfoProvider: (original) => {
      const r = original();
      if (r === null || r.priceRange === null || levels.length === 0) return r;
      return {
        ...r,
        priceRange: {
          minValue: Math.min(r.priceRange.minValue, ...levels),
          maxValue: Math.max(r.priceRange.maxValue, ...levels),
        },
      };
    },
    upColor: '#26a69a',
    downColor: '#ef5350',
    borderVisible: false,
    wickUpColor: '#26a69a',
    wickDownColor: '#ef5350',
    priceLineVisible: false,
  });
  const stop = c.addSeries(LC.LineSeries, {
    color: '#d64545',
    lineWidth: 2,
    lineType: LC.LineType.WithSteps,
    priceLineVisible: false,
    crosshairMarkerVisible: false,
    title: 'SL',
  });
  chart = {
    LC,
    c,
    candles,
    stop,
    levels,
    markers: LC.createSeriesMarkers(candles, []),
    lines: new Map(),
    precision: -1,
    framed: false,
  };
  return chart;
}

const decimals = (x) => (Number.isFinite(x) ? (String(x).split('.')[1] ?? '').length : 0);

/**
 * An ISO time of the API (the stop path's, a decision's, a closed trade's) in the chart's seconds; null
 * when not known (the venue keeps no open time): the chart places it before the first bar.
 */
function seconds(iso) {
  const ms = typeof iso === 'string' ? Date.parse(iso) : Number.NaN;
  return Number.isFinite(ms) ? Math.floor(ms / 1000) : null;
}

/** The last bar time (seconds) at or before `sec`; null before the first bar (or for an unknown time). */
function snap(times, sec) {
  let lo = 0;
  let hi = times.length - 1;
  if (hi < 0 || sec === null || sec < times[0]) return null;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (times[mid] <= sec) lo = mid;
    else hi = mid - 1;
  }
  return times[lo];
}

/**
 * The stop in force at each bar where it changed, as a step line over the bars shown (up to `endSec`, a
 * closed trade's exit; else the last bar). A stop of before the first bar (or of an unknown time: the
 * initial stop of a venue that keeps no open time) is the one in force at the first bar.
 */
function stopLine(path, times, endSec = null) {
  if (times.length === 0 || path.stops.length === 0) return [];
  const at = new Map();
  let before = null;
  for (const s of path.stops) {
    const t = snap(times, seconds(s.time));
    if (t === null) before = s.sl;
    else at.set(t, s.sl); // later moves in the same bar win
  }
  if (before !== null && !at.has(times[0])) at.set(times[0], before);
  const points = [...at.entries()].sort((a, b) => a[0] - b[0]).map(([time, value]) => ({ time, value }));
  const lastBar = endSec === null ? times[times.length - 1] : (snap(times, endSec) ?? times[0]);
  const kept = points.filter((p) => p.time <= lastBar);
  const tail = kept[kept.length - 1];
  if (tail !== undefined && tail.time < lastBar) kept.push({ time: lastBar, value: tail.value }); // the stop in force now (or at the exit)
  return kept;
}

const STATE_COLORS = {
  HEALTHY: '#1a7f4b',
  WARNING_L1: '#b7791f',
  WARNING_L2: '#c05600',
  HEDGED: '#6a2fae',
  RECOVERING: '#1f5ea8',
  CLOSED: '#4a525c',
};

/** Markers on the bars shown: the entry, the stop moves but the trail's, DTMS's state changes, and the exit (times ISO, as the API gives them). */
// biome-ignore lint/complexity/noExcessiveCognitiveComplexity: a long function from before the limit; split it when it is next changed
function markersFor(path, decisions, times, exit) {
  const out = [];
  const buy = side === 'buy';
  const entry = snap(times, seconds(path.openTime));
  if (entry !== null)
    out.push({
      time: entry,
      position: buy ? 'belowBar' : 'aboveBar',
      shape: buy ? 'arrowUp' : 'arrowDown',
      color: '#2457c5',
      text: 'entry',
    });
  for (const s of path.stops) {
    if (s.by === 'initial' || s.by === 'trail') continue; // trail moves show as steps; labels would crowd them
    const t = snap(times, seconds(s.time));
    if (t !== null)
      out.push({ time: t, position: buy ? 'belowBar' : 'aboveBar', shape: 'circle', color: '#d64545', text: s.by });
  }
  for (const d of decisions) {
    if (d.reason !== 'dtms_transition') continue;
    const t = snap(times, seconds(d.time));
    if (t !== null)
      out.push({
        time: t,
        position: buy ? 'aboveBar' : 'belowBar',
        shape: 'square',
        color: STATE_COLORS[d.dtmsState] ?? '#4a525c',
        text: d.dtmsState,
      });
  }
  if (exit) {
    const t = snap(times, seconds(exit.time));
    if (t !== null)
      out.push({
        time: t,
        position: buy ? 'aboveBar' : 'belowBar',
        shape: buy ? 'arrowDown' : 'arrowUp',
        color: '#4a525c',
        text: `exit ${exit.label}`,
      });
  }
  return out.sort((a, b) => a.time - b.time);
}

function priceLine(ch, key, price, options) {
  const old = ch.lines.get(key);
  if (old && old.price === price) return;
  if (old) ch.candles.removePriceLine(old.line);
  ch.lines.delete(key);
  if (typeof price === 'number' && Number.isFinite(price))
    ch.lines.set(key, { price, line: ch.candles.createPriceLine({ price, ...options }) });
}

/**
 * The chart: bars (their times epoch ms, as the bars route gives them), and the trade's path when known
 * (the stop path route's shape: times ISO); `exit` ({time (ISO), price, label}) ends a closed trade's
 * stop line and marks its exit.
 */
function renderChart(bars, path, decisions, exit = null) {
  const ch = ensureChart();
  if (ch === null) return;
  const { LC } = ch;
  const data = bars.map((b) => ({
    time: Math.floor(b.time / 1000),
    open: b.open,
    high: b.high,
    low: b.low,
    close: b.close,
  }));
  const times = data.map((b) => b.time);
  // Prices keep the instrument's digits (XAUUSD 3, EURUSD 5...): taken from the data itself.
  let precision = 0;
  for (const b of data.slice(-100))
    precision = Math.max(precision, decimals(b.open), decimals(b.high), decimals(b.low), decimals(b.close));
  if (path !== null) precision = Math.max(precision, decimals(path.entry));
  precision = Math.min(8, precision);
  if (precision !== ch.precision) {
    const priceFormat = { type: 'price', precision, minMove: 10 ** -precision };
    ch.candles.applyOptions({ priceFormat });
    ch.stop.applyOptions({ priceFormat });
    ch.precision = precision;
  }
  ch.candles.setData(data);
  if (bars.length > 0) noteMarketTime(bars[bars.length - 1].time + 60_000); // the last closed M1 bar's close
  $('chart').dataset.bars = String(data.length);
  if (path !== null) {
    const line = stopLine(path, times, exit === null ? null : seconds(exit.time));
    ch.stop.setData(line);
    $('chart').dataset.stops = String(line.length);
    const current = path.stops.length > 0 ? path.stops[path.stops.length - 1].sl : null;
    ch.levels.splice(
      0,
      ch.levels.length,
      ...[path.entry, path.tp, current, exit?.price].filter((x) => typeof x === 'number' && Number.isFinite(x)),
    );
    priceLine(ch, 'entry', path.entry, {
      color: '#2457c5',
      lineWidth: 1,
      lineStyle: LC.LineStyle.Dashed,
      axisLabelVisible: true,
      title: 'entry',
    });
    priceLine(ch, 'tp', path.tp, {
      color: '#1a7f4b',
      lineWidth: 1,
      lineStyle: LC.LineStyle.Dashed,
      axisLabelVisible: true,
      title: 'TP',
    });
    ch.markers.setMarkers(markersFor(path, decisions ?? [], times, exit));
  }
  if (!ch.framed && data.length > 0) {
    // First view: from a little before the entry (at least the last 150 bars) to the latest bar; a
    // closed trade from a little before its entry to a little after its exit.
    const open = path === null ? null : snap(times, seconds(path.openTime));
    const openIndex = open === null ? 0 : times.indexOf(open);
    if (exit === null) {
      const from = Math.max(0, Math.min(openIndex - 30, data.length - 150));
      ch.c.timeScale().setVisibleLogicalRange({ from, to: data.length + 2 });
    } else {
      const close = snap(times, seconds(exit.time));
      const closeIndex = close === null ? data.length - 1 : times.indexOf(close);
      ch.c
        .timeScale()
        .setVisibleLogicalRange({ from: Math.max(0, openIndex - 30), to: Math.min(data.length + 2, closeIndex + 30) });
    }
    ch.framed = true;
  }
  chartNote(data.length === 0 ? `No bars of ${symbol} yet.` : null);
}

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
    renderChart(bars.value.body, stops.status === 'fulfilled' ? stops.value.body : null, decisionList);
  await renderProposals().catch((err) => problems.push(errorText(err)));
  showError(problems.length > 0 ? problems[0] : null);
  stampUpdated();
}

// ---- proposals in shadow ---------------------------------------------------------------------------------

const PATCH_WORDS = {
  breakevenPct: (v) => `breakeven at ${v}% of the way to TP`,
  partialPct: (v) => `partial close at ${v}% of the way to TP`,
  partialClosePct: (v) => `partial closes ${v}% of the volume`,
  trailingEnabled: (v) => `trailing ${v ? 'on' : 'off'}`,
};
const patchWords = (patch) =>
  Object.entries(patch)
    .map(([k, v]) => (PATCH_WORDS[k] ? PATCH_WORDS[k](v) : `${k} ${v}`))
    .join(', ');
const outcomeWords = (o) =>
  `${signed(o.r, 2, ' R')} <span class="muted">(${esc(o.exitReason)}${o.open ? ', still open' : ''}; ${o.breakeven ? 'BE' : 'no BE'}, ${o.partial ? 'partial' : 'no partial'}, ${o.trailMoves} trail moves)</span>`;

/** The position's proposals in shadow, each with its what-if and the approve / reject buttons. */
async function renderProposals() {
  const list = (await getJson(`/api/proposals?status=shadow&ticket=${enc}`)).body;
  const panel = $('proposals');
  panel.hidden = list.length === 0;
  if (list.length === 0) {
    $('proposal-list').innerHTML = '';
    return;
  }
  const details = await Promise.all(
    list.map((p) => getJson(`/api/proposals/${encodeURIComponent(p.id)}`).then((r) => r.body)),
  );
  $('proposal-list').innerHTML = details
    .map(({ proposal: p, whatIf: w, whatIfUnavailable }) => {
      const what = w
        ? `<dl class="fields"><dt>Plan as it is</dt><dd>${outcomeWords(w.current)}</dd><dt>With the change</dt><dd>${outcomeWords(w.proposed)}</dd><dt>Difference</dt><dd>${signed(w.differenceR, 2, ' R')} <span class="muted">on ${esc(w.bars)} bars to ${esc(utc(w.to))}</span></dd><dt>Actually</dt><dd>stop ${esc(num(w.actual.sl))}, volume ${esc(num(w.actual.volume))}, profit ${signed(w.actual.profit, 2)}</dd></dl>`
        : `<p class="muted">No what-if: ${esc(whatIfUnavailable ?? '')}</p>`;
      return `<div class="proposal" data-id="${esc(p.id)}"><p><strong>${esc(p.id)}</strong>: ${esc(patchWords(p.patch))} <span class="muted">· proposed by ${esc(p.proposedBy)} at ${esc(utc(p.createdAt))}</span></p><p class="muted">Why: ${esc(p.rationale)}</p>${what}<div class="buttons"><button type="button" class="approve" data-id="${esc(p.id)}">Approve</button><button type="button" class="reject" data-id="${esc(p.id)}">Reject</button></div></div>`;
    })
    .join('');
}

$('proposal-list').addEventListener('click', (e) => {
  const b = e.target instanceof Element ? e.target.closest('button[data-id]') : null;
  if (!b) return undefined;
  const id = b.dataset.id;
  const verb = b.classList.contains('approve') ? 'approve' : 'reject';
  const note = window.prompt(
    verb === 'approve'
      ? `Approve ${id}: a note for the history (optional)`
      : `Reject ${id}: why? (kept in the history)`,
    '',
  );
  if (note === null) return undefined;
  return act(verb === 'approve' ? `${id} approved` : `${id} rejected`, () =>
    sendJson('POST', `/api/proposals/${encodeURIComponent(id)}/${verb}`, { note: note.trim() }),
  );
});

// ---- a closed trade -------------------------------------------------------------------------------------

const SOURCE_WORDS = {
  venue: "the venue's history",
  journal: "Warden's requests (the venue's fills)",
  decision: "the decision's price (no fill named)",
  lifetime: 'what Warden saw',
  plan: 'the exit plan',
  none: 'not known',
};
const source = (s) => `<span class="source">${esc(SOURCE_WORDS[s] ?? s)}</span>`;
const BY_WORDS = {
  sl: 'stop loss',
  tp: 'take profit',
  stop_out: 'stop-out',
  outside: 'outside Warden',
  unknown: 'unknown',
  warden: 'Warden',
  dtms: 'DTMS',
};

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
  if (chart !== null) chart.framed = false;
  const path = { entry: t.entryPrice, openTime: t.openTime, tp: null, stops: life.stops };
  renderChart(bars, path, life.decisions, { time: t.closeTime, price: t.exitPrice, label: t.exitReason });
}

function exitWords(t) {
  const how = {
    sl: 'by its stop loss',
    tp: 'by its take profit',
    warden_close: 'by Warden',
    warden_partials: "by Warden's partial closes",
    dtms_close: 'by DTMS',
    stop_out: 'by a stop-out',
    outside: 'outside Warden',
    unknown: 'how is not known',
  };
  return `closed ${how[t.exitReason] ?? t.exitReason}`;
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
