// A trade's price chart (lightweight-charts, loaded by the page as a global): the bars, the stop path as a
// step line, the entry, TP and exit levels, and markers for the stop moves, DTMS's state changes and the
// exit. One chart per page, created on first use; a closed trade reframes it around its entry and exit.
import { $, noteMarketTime, utc } from './common.js';

let chart = null;

export function chartNote(text) {
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
function markersFor(path, decisions, times, exit, buy) {
  const out = [];
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
 * stop line and marks its exit (null while the trade is open); `trade` is {side, symbol}.
 */
export function renderChart(bars, path, decisions, exit, trade) {
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
    ch.markers.setMarkers(markersFor(path, decisions ?? [], times, exit, trade.side === 'buy'));
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
  chartNote(data.length === 0 ? `No bars of ${trade.symbol} yet.` : null);
}

/** The next render frames the chart anew (a closed trade's page shows it from its entry to its exit). */
export function reframeChart() {
  if (chart !== null) chart.framed = false;
}
