// report.html: a replay's report as ONE self-contained page (inline CSS, inline SVG, no external
// URL) that a trader can open from disk, mail or archive. Deterministic: the same inputs give the
// same bytes, so two reports can be diffed and a stored report can be checked against a rerun.
import { closeSync, openSync, writeSync } from 'node:fs';
import type { BalanceGone, DtmsSummary, Gap, ReplayReport, TradeChart, TradeRow } from './reportModel.ts';

export interface ReportHtmlOptions {
  /** Trade charts drawn, from the start of `charts` (default DEFAULT_MAX_TRADE_CHARTS); the rest are counted, not drawn. */
  maxTradeCharts?: number;
  /** Rows of the trades table (default 2000): a page is not the place for 100,000 rows; trades.csv has every trade. */
  maxTradeRows?: number;
}

const DEFAULT_MAX_TRADE_ROWS = 2000;

/**
 * Trade charts drawn at most: every trade the trades table lists (DEFAULT_MAX_TRADE_ROWS). Measured:
 * xauusd_oanda_m1_2014-05.csv with an entry every 17 bars (807 trades) gives a 3.9 MB report.html with
 * every chart drawn, 4.3 KB of inline SVG each (it was 1.6 MB with 300). A 1M-bar replay of the bench's
 * target book (sample XAUUSD, an entry every 150 bars, SL 5 x ATR(H1): 6,912 trades held about a day, so
 * longer stop paths and more events, 7.5 KB a chart) gives 16.0 MB with the first 2,000 charts and
 * 52.7 MB with all of them, too heavy for a page that must open from disk. So past 2,000 trades the page
 * draws the first 2,000 and says so with the exact counts; trades.csv and report.json hold every trade.
 */
export const DEFAULT_MAX_TRADE_CHARTS = 2000;
/** Equity points drawn at most; longer curves keep each bucket's min and max. */
export const MAX_EQUITY_POINTS = 2000;
const PRICE_DECIMALS_CAP = 6;
/** Share of the prices the chosen decimals must show exactly: a few computed values (averages)
 * must not force 6 decimals on every price of a 2-decimal instrument. */
const PRICE_DECIMALS_COVERAGE = 0.99;

// ---------------------------------------------------------------- text and number formatting

const HTML_ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML content and quoted attributes. */
export function escapeHtml(value: string): string {
  const out = String(value).replace(/[&<>"']/g, (ch) => HTML_ESCAPES[ch] ?? ch);
  // A URL in the data (a comment, a path) is shown as text, never linked; breaking "://" keeps the
  // page free of any "http://" byte sequence, so "no external URL" stays checkable with a grep.
  return out.includes('://') ? out.replaceAll('://', '&#58;//') : out;
}

/** toFixed without "-0.00". */
function fixed(v: number, decimals: number): string {
  const s = v.toFixed(decimals);
  return s.charCodeAt(0) === 45 && /^-0(\.0*)?$/.test(s) ? s.slice(1) : s;
}

function num(v: number | null | undefined, decimals: number, none = 'n/a'): string {
  return v === null || v === undefined || !Number.isFinite(v) ? none : fixed(v, decimals);
}

/** Money with thousands separators, 2 decimals. Hand-made: toLocaleString depends on the ICU build. */
function money(v: number): string {
  if (!Number.isFinite(v)) return 'n/a';
  const s = fixed(v, 2);
  const neg = s.startsWith('-');
  const [int = '', frac = ''] = (neg ? s.slice(1) : s).split('.');
  return `${neg ? '-' : ''}${int.replace(/\B(?=(\d{3})+$)/g, ',')}.${frac}`;
}

function count(v: number): string {
  return Number.isFinite(v) ? String(Math.round(v)).replace(/\B(?=(\d{3})+$)/g, ',') : 'n/a';
}

/** A 0..1 share as a percentage with one decimal. */
function pct(share: number): string {
  return Number.isFinite(share) ? `${fixed(share * 100, 1)}%` : 'n/a';
}

function volume(v: number): string {
  return Number.isFinite(v) ? String(Number(v.toFixed(6))) : 'n/a';
}

/** An integer count of tenths as the shortest decimal ("12.3", "-0.5" as "-.5", "4"). Integer
 * arithmetic: formatting doubles (String(12.3)) was the renderer's hottest spot. */
function tenths(n: number): string {
  const a = n < 0 ? -n : n;
  const r = a % 10;
  const q = (a - r) / 10;
  const sign = n < 0 ? '-' : '';
  if (r === 0) return q === 0 ? '0' : `${sign}${q}`;
  return q === 0 ? `${sign}.${r}` : `${sign}${q}.${r}`;
}

/** SVG coordinate, 1 decimal, shortest form. */
function c(v: number): string {
  return tenths(Math.round(v * 10));
}

/** Path through the points with relative moves, 1 decimal: about a third smaller than absolute
 * coordinates. Deltas are taken between rounded positions, so rounding never accumulates. */
function compactPath(xs: readonly number[], ys: readonly number[], close: boolean): string {
  const n = Math.min(xs.length, ys.length);
  if (n === 0) return '';
  let px = Math.round((xs[0] ?? 0) * 10);
  let py = Math.round((ys[0] ?? 0) * 10);
  let d = `M${tenths(px)} ${tenths(py)}`;
  if (n > 1) d += 'l';
  for (let i = 1; i < n; i++) {
    const x = Math.round((xs[i] ?? 0) * 10);
    const y = Math.round((ys[i] ?? 0) * 10);
    const dx = x - px;
    const dy = y - py;
    // A minus sign separates numbers by itself.
    d += (i === 1 || dx < 0 ? '' : ' ') + tenths(dx) + (dy < 0 ? '' : ' ') + tenths(dy);
    px = x;
    py = y;
  }
  return close ? `${d}Z` : d;
}

const MAX_DATE_MS = 8.64e15;

function validTime(t: number): boolean {
  return Number.isFinite(t) && Math.abs(t) <= MAX_DATE_MS;
}

/** ISO-8601 UTC, without milliseconds when they are zero (bar times never have any). */
function iso(t: number): string {
  if (!validTime(t)) return 'n/a';
  const s = new Date(t).toISOString();
  return s.endsWith('.000Z') ? `${s.slice(0, -5)}Z` : s;
}

const DAY_MS = 86_400_000;

/** "balance gone at <time>: replay stopped, N entries not taken" (the summary line and the page say it alike). */
export function balanceGoneText(b: BalanceGone): string {
  return `balance gone at ${iso(b.time)}: replay stopped, ${count(b.entriesNotTaken)} ${b.entriesNotTaken === 1 ? 'entry' : 'entries'} not taken`;
}

/** Axis label: the date over long spans, month-day and minute over short ones (the date at midnight). */
function axisTime(t: number, step: number): string {
  if (!validTime(t)) return '';
  const s = new Date(t).toISOString();
  if (step >= DAY_MS) return step >= 7 * DAY_MS ? s.slice(0, 10) : s.slice(5, 10);
  return t % DAY_MS === 0 ? s.slice(5, 10) : s.slice(11, 16);
}

const MINUTE_MS = 60_000;
/** Time-axis steps; all of them below a day divide a day, so ticks fall on round UTC times. */
const TIME_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 180, 240, 360, 720, 1440, 2880, 10080, 20160, 40320, 80640, 161280, 322560].map((m) => m * MINUTE_MS);

/** Round values between lo and hi, at most `target` + 1 of them (1-2-5 steps). */
function niceTicks(lo: number, hi: number, target: number): { ticks: number[]; step: number } {
  const raw = (hi - lo) / target;
  const mag = 10 ** Math.floor(Math.log10(raw));
  // The smallest round step giving at most `target` intervals.
  const step = ([1, 2, 5].find((f) => f * mag >= raw * (1 - 1e-9)) ?? 10) * mag;
  const ticks: number[] = [];
  for (let k = Math.ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; k++) ticks.push(k * step);
  return { ticks, step };
}

function decimalsOfStep(step: number): number {
  return Math.max(0, Math.min(10, -Math.floor(Math.log10(step) + 1e-9)));
}

// ---------------------------------------------------------------- price decimals

function decimalsOf(v: number): number {
  let s = Math.abs(v);
  for (let d = 0; d < PRICE_DECIMALS_CAP; d++) {
    // Relative tolerance absorbs binary noise (1.1 x 10 = 11.000000000000002).
    if (Math.abs(Math.round(s) - s) <= 1e-11 * Math.max(1, s)) return d;
    s *= 10;
  }
  return PRICE_DECIMALS_CAP;
}

/** Decimals that show (almost) every input price exactly; exit prices are volume-weighted and left out. */
function priceDecimals(trades: readonly TradeRow[], charts: readonly TradeChart[]): number {
  const hist = new Array<number>(PRICE_DECIMALS_CAP + 1).fill(0);
  let n = 0;
  const add = (v: number | null | undefined): void => {
    if (v === null || v === undefined || !Number.isFinite(v)) return;
    const d = decimalsOf(v);
    hist[d] = (hist[d] ?? 0) + 1;
    n++;
  };
  for (const t of trades) {
    add(t.entryPrice);
    add(t.initialSl);
    add(t.tp);
  }
  for (const ch of charts) {
    add(ch.entry.price);
    add(ch.tp);
    for (const v of ch.high) add(v);
    for (const v of ch.low) add(v);
    for (const v of ch.close) add(v);
    for (const [, v] of ch.stopPath) add(v);
  }
  if (n === 0) return 2;
  const need = Math.ceil(n * PRICE_DECIMALS_COVERAGE);
  let seen = 0;
  for (let d = 0; d <= PRICE_DECIMALS_CAP; d++) {
    seen += hist[d] ?? 0;
    if (seen >= need) return d;
  }
  return PRICE_DECIMALS_CAP;
}

// ---------------------------------------------------------------- chart geometry

interface Box {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

interface Scale {
  x: (t: number) => number;
  y: (v: number) => number;
  tMin: number;
  tMax: number;
  vMin: number;
  vMax: number;
  plotLeft: number;
  plotRight: number;
  plotTop: number;
  plotBottom: number;
}

/** Widens an empty or degenerate range so the scale never divides by zero. */
function range(min: number, max: number, pad: number, emptyHalf: number): [number, number] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [0, 1];
  if (max - min <= 0) {
    const half = Math.abs(min) * 1e-3 || emptyHalf;
    return [min - half, max + half];
  }
  const p = (max - min) * pad;
  return [min - p, max + p];
}

function scale(box: Box, tMin: number, tMax: number, vMin: number, vMax: number): Scale {
  const plotLeft = box.left;
  const plotRight = box.width - box.right;
  const plotTop = box.top;
  const plotBottom = box.height - box.bottom;
  const kx = (plotRight - plotLeft) / (tMax - tMin);
  const ky = (plotBottom - plotTop) / (vMax - vMin);
  return {
    x: (t) => plotLeft + (t - tMin) * kx,
    y: (v) => plotBottom - (v - vMin) * ky,
    tMin,
    tMax,
    vMin,
    vMax,
    plotLeft,
    plotRight,
    plotTop,
    plotBottom,
  };
}

/** Horizontal grid lines with value labels at `ticks` evenly spaced values, min and max included. */
function valueAxis(s: Scale, ticks: number, label: (v: number) => string): string {
  let out = '';
  for (let i = 0; i < ticks; i++) {
    const v = s.vMin + ((s.vMax - s.vMin) * i) / (ticks - 1);
    const y = c(s.y(v));
    out += `<line class="grid" x1="${c(s.plotLeft)}" y1="${y}" x2="${c(s.plotRight)}" y2="${y}"/>`;
    out += `<text x="${c(s.plotLeft - 4)}" y="${y}" text-anchor="end" dy="4">${label(v)}</text>`;
  }
  return out;
}

/** Labels at round UTC times, about `target` of them. */
/** Grid lines at round prices, labelled with the price decimals (more if the step needs them). */
function priceAxis(s: Scale, target: number, dp: number): string {
  const { ticks, step } = niceTicks(s.vMin, s.vMax, target);
  const decimals = Math.max(dp, decimalsOfStep(step));
  let out = '';
  for (const v of ticks) {
    const y = c(s.y(v));
    out += `<line class="grid" x1="${c(s.plotLeft)}" y1="${y}" x2="${c(s.plotRight)}" y2="${y}"/>`;
    out += `<text x="${c(s.plotLeft - 4)}" y="${y}" text-anchor="end" dy="4">${fixed(v, decimals)}</text>`;
  }
  return out;
}

function timeAxis(s: Scale, target: number): string {
  const span = s.tMax - s.tMin;
  const step = TIME_STEPS.find((st) => span / st <= target) ?? Math.ceil(span / target / DAY_MS) * DAY_MS;
  let out = '';
  for (let t = Math.ceil(s.tMin / step) * step; t <= s.tMax; t += step) {
    const x = s.x(t);
    // Labels near the plot edges are anchored inwards so they are not cut off.
    const anchor = x - s.plotLeft < 20 ? 'start' : s.plotRight - x < 20 ? 'end' : 'middle';
    out += `<line class="tick" x1="${c(x)}" y1="${c(s.plotBottom)}" x2="${c(x)}" y2="${c(s.plotBottom + 4)}"/>`;
    out += `<text x="${c(x)}" y="${c(s.plotBottom + 15)}" text-anchor="${anchor}">${axisTime(t, step)}</text>`;
  }
  return out;
}

// ---------------------------------------------------------------- equity curve

/**
 * At most `maxPoints` points: the first and last, and for each index bucket in between its minimum
 * and maximum in time order, so every drawdown's trough and every peak survives.
 */
export function downsampleMinMax(points: readonly (readonly [number, number])[], maxPoints: number): [number, number][] {
  const n = points.length;
  if (n <= maxPoints || n <= 2) return points.map(([t, v]) => [t, v]);
  const first = points[0];
  const last = points[n - 1];
  if (first === undefined || last === undefined) return [];
  const out: [number, number][] = [[first[0], first[1]]];
  const interior = n - 2;
  const buckets = Math.max(1, Math.floor((maxPoints - 2) / 2));
  for (let b = 0; b < buckets; b++) {
    const from = 1 + Math.floor((b * interior) / buckets);
    const to = 1 + Math.floor(((b + 1) * interior) / buckets);
    let lo = -1;
    let hi = -1;
    let loV = Infinity;
    let hiV = -Infinity;
    for (let i = from; i < to; i++) {
      const v = points[i]?.[1] ?? NaN;
      if (v < loV) {
        loV = v;
        lo = i;
      }
      if (v > hiV) {
        hiV = v;
        hi = i;
      }
    }
    for (const i of lo < 0 ? [] : lo === hi ? [lo] : [Math.min(lo, hi), Math.max(lo, hi)]) {
      const p = points[i];
      if (p !== undefined) out.push([p[0], p[1]]);
    }
  }
  out.push([last[0], last[1]]);
  return out;
}

const EQUITY_BOX: Box = { width: 900, height: 280, left: 84, right: 16, top: 12, bottom: 26 };

function equitySvg(report: ReplayReport): string {
  const curve: [number, number][] = report.equity.filter(([t, v]) => validTime(t) && Number.isFinite(v));
  const firstTime = curve[0]?.[0] ?? report.data.first;
  // The curve starts at the starting balance when the data starts (or at the first close).
  const startTime = validTime(report.data.first) ? Math.min(report.data.first, firstTime) : firstTime;
  const all: [number, number][] = [[startTime, report.startingBalance], ...curve];
  if (curve.length === 0 && validTime(report.data.last) && report.data.last > startTime) all.push([report.data.last, report.startingBalance]);
  const pts = downsampleMinMax(all, MAX_EQUITY_POINTS);
  let tMin = Infinity;
  let tMax = -Infinity;
  let vMin = Infinity;
  let vMax = -Infinity;
  for (const [t, v] of all) {
    if (t < tMin) tMin = t;
    if (t > tMax) tMax = t;
    if (v < vMin) vMin = v;
    if (v > vMax) vMax = v;
  }
  // No padding on values: the lowest equity sits exactly on the bottom grid line, labelled.
  const [t0, t1] = range(tMin, tMax, 0, 3_600_000);
  const [v0, v1] = range(vMin, vMax, 0, 1);
  const s = scale(EQUITY_BOX, t0, t1, v0, v1);
  const line = pts.map(([t, v]) => `${c(s.x(t))},${c(s.y(v))}`).join(' ');
  const baseY = c(s.y(report.startingBalance));
  return (
    `<svg class="equity" viewBox="0 0 ${EQUITY_BOX.width} ${EQUITY_BOX.height}" role="img" aria-label="Realized equity curve">` +
    valueAxis(s, 5, money) +
    `<line class="base" x1="${c(s.plotLeft)}" y1="${baseY}" x2="${c(s.plotRight)}" y2="${baseY}"><title>starting balance ${money(report.startingBalance)}</title></line>` +
    `<polyline class="eq" points="${line}"/>` +
    timeAxis(s, 6) +
    '</svg>'
  );
}

// ---------------------------------------------------------------- trade charts

const TRADE_BOX: Box = { width: 800, height: 240, left: 70, right: 10, top: 10, bottom: 22 };

function tradeChartSvg(ch: TradeChart, dp: number): string {
  const n = Math.min(ch.time.length, ch.high.length, ch.low.length, ch.close.length);
  const idx: number[] = [];
  let tMin = Infinity;
  let tMax = -Infinity;
  let vMin = Infinity;
  let vMax = -Infinity;
  const seeT = (t: number): void => {
    if (!validTime(t)) return;
    if (t < tMin) tMin = t;
    if (t > tMax) tMax = t;
  };
  const seeV = (v: number | null): void => {
    if (v === null || !Number.isFinite(v)) return;
    if (v < vMin) vMin = v;
    if (v > vMax) vMax = v;
  };
  for (let i = 0; i < n; i++) {
    const t = ch.time[i] ?? NaN;
    const h = ch.high[i] ?? NaN;
    const l = ch.low[i] ?? NaN;
    const cl = ch.close[i] ?? NaN;
    if (!validTime(t) || !Number.isFinite(h) || !Number.isFinite(l) || !Number.isFinite(cl)) continue;
    idx.push(i);
    seeT(t);
    seeV(h);
    seeV(l);
  }
  seeT(ch.entry.time);
  seeV(ch.entry.price);
  seeV(ch.tp);
  for (const [t, v] of ch.stopPath) {
    seeT(t);
    seeV(v);
  }
  for (const e of ch.events) {
    seeT(e.time);
    seeV(e.price);
  }
  const head = `<svg class="trade" viewBox="0 0 ${TRADE_BOX.width} ${TRADE_BOX.height}" role="img" aria-label="Price chart of trade ${escapeHtml(ch.positionId)}">`;
  if (tMin > tMax || vMin > vMax) return `${head}<text x="10" y="20">no price data</text></svg>`;
  const [t0, t1] = range(tMin, tMax, 0.01, 60_000);
  const [v0, v1] = range(vMin, vMax, 0.06, 1);
  const s = scale(TRADE_BOX, t0, t1, v0, v1);
  const parts: string[] = [head, priceAxis(s, 5, dp)];

  if (idx.length > 0) {
    const xs = idx.map((i) => s.x(ch.time[i] ?? 0));
    // High-low band: along the highs, back along the lows.
    const bandX = xs.concat(xs.slice().reverse());
    const bandY = idx.map((i) => s.y(ch.high[i] ?? 0));
    for (let k = idx.length - 1; k >= 0; k--) bandY.push(s.y(ch.low[idx[k] ?? 0] ?? 0));
    parts.push(`<path class="band" d="${compactPath(bandX, bandY, true)}"/>`);
    parts.push(`<path class="cl" d="${compactPath(xs, idx.map((i) => s.y(ch.close[i] ?? 0)), false)}"/>`);
  }

  const hLine = (cls: string, v: number, title: string): string => {
    const y = c(s.y(v));
    return `<line class="${cls}" x1="${c(s.plotLeft)}" y1="${y}" x2="${c(s.plotRight)}" y2="${y}"><title>${title}</title></line>`;
  };
  if (ch.tp !== null && Number.isFinite(ch.tp)) {
    parts.push(hLine('tp', ch.tp, `TP ${fixed(ch.tp, dp)}`));
    parts.push(`<text class="tpl" x="${c(s.plotRight - 2)}" y="${c(s.y(ch.tp) - 3)}" text-anchor="end">TP ${fixed(ch.tp, dp)}</text>`);
  }
  const entryOk = validTime(ch.entry.time) && Number.isFinite(ch.entry.price);
  if (Number.isFinite(ch.entry.price)) parts.push(hLine('en', ch.entry.price, `entry ${fixed(ch.entry.price, dp)}`));

  // Stop as a step line ending at the exit; a null stop leaves a gap.
  const exitTimes = ch.events.filter((e) => e.kind === 'exit' && validTime(e.time)).map((e) => e.time);
  const endT = exitTimes.length > 0 ? Math.max(...exitTimes) : s.tMax;
  let d = '';
  let open = false;
  for (let i = 0; i < ch.stopPath.length; i++) {
    const [t, v] = ch.stopPath[i] ?? [NaN, null];
    const next = ch.stopPath[i + 1]?.[0] ?? endT;
    if (v === null || !Number.isFinite(v) || !validTime(t) || t > endT) {
      open = false;
      continue;
    }
    const xEnd = c(s.x(Math.max(t, Math.min(Number.isFinite(next) ? next : endT, endT))));
    const y = c(s.y(v));
    d += open ? `V${y}H${xEnd}` : `M${c(s.x(t))} ${y}H${xEnd}`;
    open = true;
  }
  if (d !== '') parts.push(`<path class="sl" d="${d}"><title>stop</title></path>`);

  if (entryOk) {
    const x = s.x(ch.entry.time);
    const y = s.y(ch.entry.price);
    const buy = ch.side === 'buy';
    // Buy: up triangle; sell: down triangle, in different colours.
    const tri = buy
      ? `${c(x)},${c(y - 7)} ${c(x - 6)},${c(y + 5)} ${c(x + 6)},${c(y + 5)}`
      : `${c(x)},${c(y + 7)} ${c(x - 6)},${c(y - 5)} ${c(x + 6)},${c(y - 5)}`;
    parts.push(
      `<polygon class="${buy ? 'mb' : 'ms'}" points="${tri}"><title>${buy ? 'buy' : 'sell'} entry ${fixed(ch.entry.price, dp)} at ${iso(ch.entry.time)}</title></polygon>`,
    );
  }

  for (const e of ch.events) {
    if (!validTime(e.time) || !Number.isFinite(e.price)) continue;
    const x = s.x(e.time);
    const y = s.y(e.price);
    const title = `<title>${escapeHtml(e.label)} (${escapeHtml(e.kind)} ${fixed(e.price, dp)} at ${iso(e.time)})</title>`;
    switch (e.kind) {
      case 'breakeven':
        parts.push(`<circle class="be" cx="${c(x)}" cy="${c(y)}" r="4.5">${title}</circle>`);
        break;
      case 'trail':
        parts.push(`<circle class="tr" cx="${c(x)}" cy="${c(y)}" r="3">${title}</circle>`);
        break;
      case 'partial':
        parts.push(`<rect class="pa" x="${c(x - 4)}" y="${c(y - 4)}" width="8" height="8">${title}</rect>`);
        break;
      case 'dtms':
        // A DTMS transition or applied action: a pointy-top hexagon.
        parts.push(
          `<polygon class="dt" points="${c(x)},${c(y - 5.5)} ${c(x + 4.8)},${c(y - 2.8)} ${c(x + 4.8)},${c(y + 2.8)} ${c(x)},${c(y + 5.5)} ${c(x - 4.8)},${c(y + 2.8)} ${c(x - 4.8)},${c(y - 2.8)}">${title}</polygon>`,
        );
        break;
      default:
        // exit (and any kind this renderer does not know): a diamond.
        parts.push(`<polygon class="ex" points="${c(x)},${c(y - 6)} ${c(x + 6)},${c(y)} ${c(x)},${c(y + 6)} ${c(x - 6)},${c(y)}">${title}</polygon>`);
    }
  }
  parts.push(timeAxis(s, 6), '</svg>');
  return parts.join('');
}


// ---------------------------------------------------------------- trade outcome sections

/** A trade's R, MFE or MAE; null when unknown (no initial stop, or a report written before MFE/MAE existed). */
const rOf = (v: number | null | undefined): number | null => (v === null || v === undefined || !Number.isFinite(v) ? null : v);

/** P/L by exit reason: how the trades ended, and what each way of ending made. */
function exitReasonSection(r: ReplayReport): string {
  const cur = escapeHtml(r.currency);
  const by = new Map<string, { n: number; rN: number; rSum: number; profit: number }>();
  for (const t of r.trades) {
    let g = by.get(t.exitReason);
    if (g === undefined) by.set(t.exitReason, (g = { n: 0, rN: 0, rSum: 0, profit: 0 }));
    g.n++;
    g.profit += t.profit;
    const x = rOf(t.r);
    if (x !== null) {
      g.rN++;
      g.rSum += x;
    }
  }
  // Most trades first, then by name in code-unit order (locale-independent: the page stays byte-stable).
  const keys = [...by.keys()].sort((a, b) => by.get(b)!.n - by.get(a)!.n || (a < b ? -1 : a > b ? 1 : 0));
  const cells = (name: string, g: { n: number; rN: number; rSum: number; profit: number }) => {
    const pl = g.profit > 0 ? 'pos' : g.profit < 0 ? 'neg' : '';
    return `<tr><td>${name}</td><td class="n">${count(g.n)}</td><td class="n">${g.rN === 0 ? 'n/a' : num(g.rSum, 2)}</td><td class="n">${g.rN === 0 ? 'n/a' : num(g.rSum / g.rN, 2)}</td><td class="n ${pl}">${money(g.profit)}</td></tr>`;
  };
  const total = { n: 0, rN: 0, rSum: 0, profit: 0 };
  for (const g of by.values()) {
    total.n += g.n;
    total.rN += g.rN;
    total.rSum += g.rSum;
    total.profit += g.profit;
  }
  const body =
    keys.length === 0
      ? '<p class="note">No trades.</p>'
      : `<table>${row(['Exit reason', 'Trades', 'Sum R', 'Mean R', `Net profit (${cur})`], 'th')}${keys.map((k) => cells(escapeHtml(k), by.get(k)!)).join('')}${cells('<b>all</b>', total)}</table>`;
  return `<section id="exits"><h2>Profit and loss by exit reason</h2>${body}</section>`;
}

const HIST_BOX: Box = { width: 900, height: 220, left: 50, right: 16, top: 12, bottom: 30 };
/** R histogram bins: 0.25 R wide from -3 R to +5 R; the two outer bins hold everything beyond. */
const HIST_STEP = 0.25;
const HIST_LO = -3;
const HIST_HI = 5;

/** Realized R per trade as a histogram (inline SVG). */
function rHistogramSvg(rs: readonly number[]): string {
  const inner = Math.round((HIST_HI - HIST_LO) / HIST_STEP);
  // Bin 0: below HIST_LO; bins 1..inner: [lo, lo + step); bin inner + 1: HIST_HI and above.
  const bins = new Array<number>(inner + 2).fill(0);
  for (const x of rs) {
    const k = x < HIST_LO ? 0 : x >= HIST_HI ? inner + 1 : 1 + Math.min(inner - 1, Math.floor((x - HIST_LO) / HIST_STEP + 1e-9));
    bins[k] = (bins[k] ?? 0) + 1;
  }
  const max = Math.max(1, ...bins);
  const s = scale(HIST_BOX, 0, bins.length, 0, max);
  const w = s.x(1) - s.x(0);
  let out = `<svg class="hist" viewBox="0 0 ${HIST_BOX.width} ${HIST_BOX.height}" role="img" aria-label="Histogram of realized R">`;
  const { ticks } = niceTicks(0, max, 4);
  for (const v of ticks) {
    const y = c(s.y(v));
    out += `<line class="grid" x1="${c(s.plotLeft)}" y1="${y}" x2="${c(s.plotRight)}" y2="${y}"/><text x="${c(s.plotLeft - 4)}" y="${y}" text-anchor="end" dy="4">${count(v)}</text>`;
  }
  bins.forEach((n, k) => {
    const from = k === 0 ? -Infinity : HIST_LO + (k - 1) * HIST_STEP;
    const to = k === inner + 1 ? Infinity : HIST_LO + k * HIST_STEP;
    const label = k === 0 ? `below ${fixed(HIST_LO, 2)} R` : k === inner + 1 ? `${fixed(HIST_HI, 2)} R and above` : `${fixed(from, 2)} to ${fixed(to, 2)} R`;
    if (n === 0) return;
    const y = s.y(n);
    out += `<rect class="${to <= 0 ? 'hn' : 'hp'}" x="${c(s.x(k) + 0.5)}" y="${c(y)}" width="${c(w - 1)}" height="${c(s.plotBottom - y)}"><title>${label}: ${count(n)} trade${n === 1 ? '' : 's'}</title></rect>`;
  });
  for (let k = 0; k <= inner; k += 4) {
    const x = c(s.x(k + 1));
    out += `<line class="tick" x1="${x}" y1="${c(s.plotBottom)}" x2="${x}" y2="${c(s.plotBottom + 4)}"/><text x="${x}" y="${c(s.plotBottom + 15)}" text-anchor="middle">${fixed(HIST_LO + k * HIST_STEP, 0)}</text>`;
  }
  out += `<text x="${c(s.plotRight)}" y="${c(s.plotBottom + 27)}" text-anchor="end">R (bins of ${fixed(HIST_STEP, 2)} R; the outer bins hold everything beyond ${fixed(HIST_LO, 0)} and ${fixed(HIST_HI, 0)})</text>`;
  return `${out}</svg>`;
}

function rHistogramSection(r: ReplayReport): string {
  const rs = r.trades.map((t) => rOf(t.r)).filter((x): x is number => x !== null);
  const body = rs.length === 0 ? '<p class="note">No trade with an initial stop: no R to show.</p>' : rHistogramSvg(rs);
  return `<section id="r-histogram"><h2>Realized R (${count(rs.length)} trades with an initial stop)</h2>${body}</section>`;
}

const SCATTER_BOX: Box = { width: 640, height: 360, left: 50, right: 16, top: 12, bottom: 36 };
/** MFE buckets of the table beside the scatter, in R. */
const MFE_BUCKETS: readonly [number, number][] = [
  [0, 0.5],
  [0.5, 1],
  [1, 2],
  [2, 3],
  [3, Infinity],
];

/**
 * How far each trade went in its favour (MFE) against what it realized: every trade is a dot, dots that
 * fall on the same pixel are drawn once (their count in the title), so the size stays bounded with
 * 100,000 trades. The diagonal is "kept all of it"; dots far below it gave back what they had.
 */
function mfeScatterSvg(pts: readonly [number, number][]): string {
  let xMax = 0;
  let yMin = 0;
  let yMax = 0;
  for (const [x, y] of pts) {
    if (x > xMax) xMax = x;
    if (y < yMin) yMin = y;
    if (y > yMax) yMax = y;
  }
  const [x0, x1] = range(0, Math.max(xMax, 1), 0.03, 1);
  const [y0, y1] = range(Math.min(yMin, -1), Math.max(yMax, 1), 0.05, 1);
  const s = scale(SCATTER_BOX, x0, x1, y0, y1);
  let out = `<svg class="scatter" viewBox="0 0 ${SCATTER_BOX.width} ${SCATTER_BOX.height}" role="img" aria-label="MFE against realized R, one dot per trade">`;
  for (const v of niceTicks(y0, y1, 6).ticks) {
    const y = c(s.y(v));
    out += `<line class="${v === 0 ? 'base' : 'grid'}" x1="${c(s.plotLeft)}" y1="${y}" x2="${c(s.plotRight)}" y2="${y}"/><text x="${c(s.plotLeft - 4)}" y="${y}" text-anchor="end" dy="4">${fixed(v, 1)}</text>`;
  }
  for (const v of niceTicks(x0, x1, 8).ticks) {
    if (v < 0) continue;
    const x = c(s.x(v));
    out += `<line class="tick" x1="${x}" y1="${c(s.plotBottom)}" x2="${x}" y2="${c(s.plotBottom + 4)}"/><text x="${x}" y="${c(s.plotBottom + 15)}" text-anchor="middle">${fixed(v, 1)}</text>`;
  }
  const d = Math.min(x1, y1);
  out += `<line class="base" x1="${c(s.x(0))}" y1="${c(s.y(0))}" x2="${c(s.x(d))}" y2="${c(s.y(d))}"><title>realized R = MFE</title></line>`;
  const seen = new Map<string, { x: number; y: number; n: number; pos: boolean }>();
  for (const [x, y] of pts) {
    const px = Math.round(s.x(x));
    const py = Math.round(s.y(y));
    const key = `${px},${py}`;
    const e = seen.get(key);
    if (e === undefined) seen.set(key, { x: px, y: py, n: 1, pos: y > 0 });
    else e.n++;
  }
  for (const e of seen.values()) out += `<circle class="${e.pos ? 'dp' : 'dn'}" cx="${e.x}" cy="${e.y}" r="2.5"><title>${count(e.n)} trade${e.n === 1 ? '' : 's'}</title></circle>`;
  out += `<text x="${c((s.plotLeft + s.plotRight) / 2)}" y="${c(s.plotBottom + 31)}" text-anchor="middle">MFE (R): the furthest the price went in the trade's favour</text>`;
  out += `<text transform="rotate(-90)" x="${c(-(s.plotTop + s.plotBottom) / 2)}" y="12" text-anchor="middle">realized R</text>`;
  return `${out}</svg>`;
}

function mfeSection(r: ReplayReport): string {
  const pts: [number, number][] = [];
  for (const t of r.trades) {
    const mfe = rOf(t.mfeR);
    const x = rOf(t.r);
    if (mfe !== null && x !== null) pts.push([mfe, x]);
  }
  const head = '<section id="mfe"><h2>MFE against realized R</h2>';
  if (pts.length === 0) return `${head}<p class="note">No trade with an initial stop and an MFE: nothing to show.</p></section>`;
  const rows = MFE_BUCKETS.map(([lo, hi]) => {
    const inB = pts.filter(([m]) => m >= lo && m < hi);
    const n = inB.length;
    const mean = n === 0 ? null : inB.reduce((a, [, x]) => a + x, 0) / n;
    const lost = inB.filter(([, x]) => x < 0).length;
    const name = hi === Infinity ? `${fixed(lo, 1)} R and more` : `${fixed(lo, 1)} to ${fixed(hi, 1)} R`;
    return `<tr><td>${name}</td><td class="n">${count(n)}</td><td class="n">${num(mean, 2)}</td><td class="n">${n === 0 ? 'n/a' : pct(lost / n)}</td></tr>`;
  });
  const table = `<table>${row(['MFE', 'Trades', 'Mean realized R', 'Closed at a loss'], 'th')}${rows.join('')}</table>`;
  return `${head}<p class="note">${count(pts.length)} trades with an initial stop, one dot each (dots on the same pixel drawn once). On the diagonal a trade kept all of its best move; far below it, it gave back what it had (a DTMS hedge's profit, booked to its trade, can lift a dot above it).</p><div class="tbls">${mfeScatterSvg(pts)}${table}</div></section>`;
}

// ---------------------------------------------------------------- page sections

const CSS = [
  'body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;margin:0 auto;max-width:1280px;padding:16px 20px;color:#1f2328;background:#fff}',
  'h1{font-size:22px;margin:4px 0 8px}h2{font-size:17px;margin:22px 0 6px;border-bottom:1px solid #d0d7de;padding-bottom:3px}',
  'table{border-collapse:collapse;margin:6px 0}th,td{border:1px solid #d0d7de;padding:3px 8px;text-align:left;vertical-align:top}',
  'th{background:#f6f8fa}td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}',
  'dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:6px 0}dl.meta dt{color:#57606a}dl.meta dd{margin:0}',
  '.pass{color:#1a7f37;font-weight:600}.fail{color:#cf222e;font-weight:600}.na{color:#57606a}.note{color:#57606a;font-size:13px}',
  '.pos{color:#1a7f37}.neg{color:#cf222e}.trades{font-size:12px}.trades td{white-space:nowrap}.trades td.cm{white-space:normal;max-width:260px;overflow-wrap:anywhere}',
  'svg{display:block;width:100%;height:auto}svg.equity{max-width:900px}svg.trade{max-width:800px}svg text{font-size:11px;fill:#57606a}',
  '.grid{stroke:#eaeef2}.tick{stroke:#8c959f}.base{stroke:#8c959f;stroke-dasharray:4 3}.eq{fill:none;stroke:#0969da;stroke-width:1.5}',
  '.band{fill:#dde6f2}.cl{fill:none;stroke:#24292f;stroke-width:1.1}.en{stroke:#0969da;stroke-dasharray:6 3}.tp{stroke:#1a7f37;stroke-dasharray:6 3}',
  'svg text.tpl{fill:#1a7f37}.sl{fill:none;stroke:#cf222e;stroke-width:1.6}.mb{fill:#1a7f37}.ms{fill:#8250df}',
  'svg.hist{max-width:900px}svg.scatter{max-width:640px}.hp,.dp{fill:#1a7f37}.hn,.dn{fill:#cf222e}.dp,.dn{fill-opacity:.45}',
  '.be{fill:#0969da}.tr{fill:#bf8700}.pa{fill:#8250df}.ex{fill:#24292f}.dt{fill:#e16f24;stroke:#953800;stroke-width:.8}',
  'h3{font-size:14px;margin:10px 0 2px}.tbls{display:flex;flex-wrap:wrap;gap:0 28px}',
  'details{margin:6px 0;border:1px solid #d0d7de;border-radius:4px;padding:4px 8px}summary{cursor:pointer}',
  '.lg span{display:inline-block;margin-right:14px}.sw{display:inline-block;width:14px;height:4px;vertical-align:middle;margin-right:4px}',
].join('\n');

// Opens a chart's <details> when a trade link (or the address) points at it; the page works without it.
const SCRIPT =
  "function openTarget(){var e=document.getElementById(decodeURIComponent(location.hash.slice(1)));if(e&&e.tagName==='DETAILS')e.open=true}" +
  "addEventListener('hashchange',openTarget);openTarget();";

function row(cells: readonly string[], tag = 'td'): string {
  return `<tr>${cells.map((x) => `<${tag}>${x}</${tag}>`).join('')}</tr>`;
}

function headerSection(r: ReplayReport, tradeCount: number): string {
  const d = r.data;
  const items: [string, string][] = [
    ['Symbol', `${escapeHtml(r.symbol)}${r.canonical && r.canonical !== r.symbol ? ` (${escapeHtml(r.canonical)})` : ''}`],
    ['Data files', d.files.length > 0 ? d.files.map(escapeHtml).join('<br>') : 'none'],
    ['Format', escapeHtml(d.format)],
    ['Timeframe', escapeHtml(d.timeframe)],
    ['Bars', count(d.bars)],
    ['First bar', iso(d.first)],
    ['Last bar', iso(d.last)],
    ['Intrabar fill file', d.fillFile === null ? 'none' : escapeHtml(d.fillFile)],
    ['Account mode', escapeHtml(r.broker.accountMode)],
    ['Intrabar rule', escapeHtml(r.broker.intrabar)],
    ['Spread', escapeHtml(r.broker.spread)],
    ['Faults', escapeHtml(r.broker.faults)],
    ['Entries', `${escapeHtml(r.entries.source)}: ${count(r.entries.count)} entries, ${count(r.entries.rejected)} rejected`],
    ['Trades', count(tradeCount)],
    ['Starting balance', `${money(r.startingBalance)} ${escapeHtml(r.currency)}`],
  ];
  const gone = r.balanceGone === undefined ? '' : `<p class="gone" style="color:#cf222e;border:2px solid #cf222e;border-radius:4px;padding:6px 10px"><strong>${escapeHtml(balanceGoneText(r.balanceGone))}</strong>: what was open closed at that bar's close.</p>`;
  return (
    `<header><h1>Warden replay: ${escapeHtml(r.symbol)}</h1>${gone}` +
    `<dl class="meta">${items.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join('')}</dl></header>`
  );
}

function metricsSection(r: ReplayReport): string {
  const m = r.metrics;
  const cur = escapeHtml(r.currency);
  const signed = (v: number): string => `<span class="${v > 0 ? 'pos' : v < 0 ? 'neg' : ''}">${money(v)} ${cur}</span>`;
  const rows: [string, string][] = [
    ['Trades', count(m.trades)],
    ['Wins / losses', `${count(m.wins)} / ${count(m.losses)}`],
    ['Win rate', pct(m.winRate)],
    ['Expectancy (R)', m.expectancyR === null ? 'n/a (no trade with an initial stop)' : num(m.expectancyR, 2)],
    ['Profit factor', m.profitFactor === null ? 'n/a (no losing trade)' : num(m.profitFactor, 2)],
    ['Max drawdown', `${money(m.maxDrawdown)} ${cur} (${pct(m.maxDrawdownPct)})`],
    ['Net profit', signed(m.netProfit)],
    ['Gross profit', `${money(m.grossProfit)} ${cur}`],
    ['Gross loss', `${money(m.grossLoss)} ${cur}`],
  ];
  return `<section id="metrics"><h2>Metrics</h2><table>${rows.map(([k, v]) => `<tr><th>${k}</th><td class="n">${v}</td></tr>`).join('')}</table></section>`;
}

interface Target {
  name: string;
  share: number;
  op?: '<' | '>';
  target?: number;
  note?: string;
}

function targetsSection(r: ReplayReport): string {
  const m = r.metrics;
  const targets: Target[] = [
    { name: 'RMAG trigger rate', share: m.rmagTriggerRate, op: '<', target: 0.5 },
    { name: 'Trailing activation rate (after breakeven)', share: m.trailingActivationRate, op: '>', target: 0.8 },
    { name: 'Breakeven hit rate', share: m.breakevenHitRate, op: '<', target: 0.3 },
    { name: 'DTMS action rate', share: m.dtmsActionRate, op: '>', target: 0, ...(r.dtms?.enabled === false ? { note: 'DTMS off' } : {}) },
    { name: 'Breakeven rate', share: m.breakevenRate },
  ];
  const rows = targets.map((t) => {
    let target = '&#8212;';
    let mark = '<span class="na">no target</span>';
    if (t.op !== undefined && t.target !== undefined) {
      target = `${t.op === '<' ? '&lt;' : '&gt;'} ${pct(t.target)}`;
      // Judged on the raw share, not on the rounded percentage shown.
      const ok = Number.isFinite(t.share) && (t.op === '<' ? t.share < t.target : t.share > t.target);
      mark = !Number.isFinite(t.share) ? '<span class="na">n/a</span>' : ok ? '<span class="pass">&#10003; pass</span>' : '<span class="fail">&#10007; fail</span>';
    }
    const note = t.note === undefined ? '' : ` <span class="note">(${t.note})</span>`;
    return row([t.name, `<span class="n">${pct(t.share)}</span>`, target, mark + note]);
  });
  return `<section id="targets"><h2>Success metrics</h2><table>${row(['Metric', 'Value', 'Target', 'Result'], 'th')}${rows.join('')}</table></section>`;
}

/** A DTMS tally as a two-column table, largest count first, then by name; "none" when empty. */
function tallyTable(title: string, head: string, tally: Readonly<Record<string, number>>, label: (key: string) => string = escapeHtml): string {
  const size = (k: string): number => {
    const v = tally[k];
    return v !== undefined && Number.isFinite(v) ? v : -Infinity;
  };
  // Plain code-unit order for ties: locale-independent, so the page stays byte-stable.
  const keys = Object.keys(tally).sort((a, b) => size(b) - size(a) || (a < b ? -1 : a > b ? 1 : 0));
  const body =
    keys.length === 0
      ? '<p class="note">none</p>'
      : `<table>${row([head, 'Count'], 'th')}${keys.map((k) => `<tr><td>${label(k)}</td><td class="n">${count(tally[k] ?? NaN)}</td></tr>`).join('')}</table>`;
  return `<div><h3>${title}</h3>${body}</div>`;
}

/** 'HEALTHY->WARNING_L1' as "HEALTHY -> WARNING_L1", escaped. */
function transitionLabel(key: string): string {
  const at = key.indexOf('->');
  return at < 0 ? escapeHtml(key) : `${escapeHtml(key.slice(0, at))} -&gt; ${escapeHtml(key.slice(at + 2))}`;
}

function dtmsSection(r: ReplayReport): string {
  const d: DtmsSummary | undefined = r.dtms;
  const open = '<section id="dtms"><h2>DTMS</h2>';
  if (d === undefined) return `${open}<p class="note">No DTMS summary in this report.</p></section>`;
  if (!d.enabled) return `${open}<p class="note">DTMS was off for this replay.</p></section>`;
  const cur = escapeHtml(r.currency);
  const pl = d.hedgeProfit > 0 ? 'pos' : d.hedgeProfit < 0 ? 'neg' : '';
  const line =
    `<p>Enabled: yes. Deep checks: ${count(d.deepChecks)}. Action rate: ${pct(d.actionRate)}. ` +
    `Hedges: ${count(d.hedges)} (profit <span class="${pl}">${money(d.hedgeProfit)} ${cur}</span>).</p>`;
  const tables =
    tallyTable('Transitions', 'From -&gt; to', d.transitions ?? {}, transitionLabel) +
    tallyTable('Actions applied', 'Action', d.actions ?? {}) +
    tallyTable('Holds', 'Reason', d.holds ?? {}) +
    tallyTable('Skipped', 'Reason', d.skipped ?? {});
  return `${open}${line}<div class="tbls">${tables}</div></section>`;
}

function equitySection(r: ReplayReport): string {
  const note = r.equity.length === 0 ? '<p class="note">No closed trade: the curve stays at the starting balance.</p>' : '';
  const cut = r.equity.length + 1 > MAX_EQUITY_POINTS ? ` <span class="note">(${count(r.equity.length + 1)} points, drawn as at most ${count(MAX_EQUITY_POINTS)}: each stretch keeps its low and high)</span>` : '';
  return `<section id="equity"><h2>Realized equity (${escapeHtml(r.currency)})${cut}</h2>${note}${equitySvg(r)}</section>`;
}

function countsSection(r: ReplayReport): string {
  // Plain code-unit sort: locale-independent, so the page is byte-stable across machines.
  const keys = Object.keys(r.counts).sort();
  const body = keys.length === 0 ? '<p class="note">No counts.</p>' : `<table>${row(['Count', 'Value'], 'th')}${keys.map((k) => `<tr><td>${escapeHtml(k)}</td><td class="n">${count(r.counts[k] ?? NaN)}</td></tr>`).join('')}</table>`;
  return `<section id="counts"><h2>Counts</h2>${body}</section>`;
}

function gapsSection(r: ReplayReport): string {
  const g = r.gaps;
  const longest: readonly Gap[] = g.longest.slice(0, 10);
  const table =
    longest.length === 0
      ? ''
      : `<table>${row(['From', 'To', 'Minutes', 'Kind'], 'th')}${longest.map((x) => `<tr><td>${iso(x.from)}</td><td>${iso(x.to)}</td><td class="n">${count(x.minutes)}</td><td>${escapeHtml(x.kind)}</td></tr>`).join('')}</table>`;
  return (
    `<section id="gaps"><h2>Data gaps</h2><p>${count(g.count)} gaps: ${count(g.weekend)} weekend, ${count(g.intraWeek)} intra-week` +
    // Reports written before outages were told apart have no count: their long holes are in the other two.
    `${g.outage === undefined ? '' : `, ${count(g.outage)} outage (over a day without bars outside a weekend: a holiday closure or a feed outage)`}.` +
    `${longest.length > 0 ? ' Longest:' : ''}</p>${table}</section>`
  );
}

function tradesSection(r: ReplayReport, dp: number, anchorOf: ReadonlyMap<string, string>, maxRows: number): string {
  const head = row(['Trade', 'Side', 'Volume', 'Entry time', 'Entry', 'Initial SL', 'TP', 'Exit time', 'Exit', 'Exit reason', 'R', 'MFE R', 'MAE R', 'Profit', 'Type', 'Flags', 'Comment'], 'th');
  const rows = r.trades.slice(0, maxRows).map((t, i) => {
    const id = escapeHtml(t.positionId);
    const anchor = anchorOf.get(t.positionId);
    const idCell = anchor === undefined ? `<span title="chart not drawn">${id}</span>` : `<a href="#${anchor}">${id}</a>`;
    const pl = t.profit > 0 ? 'pos' : t.profit < 0 ? 'neg' : '';
    return (
      `<tr id="trade-${i + 1}"><td>${idCell}</td><td>${escapeHtml(t.side)}</td><td class="n">${volume(t.volume)}</td>` +
      `<td>${iso(t.entryTime)}</td><td class="n">${num(t.entryPrice, dp)}</td><td class="n">${num(t.initialSl, dp, 'none')}</td>` +
      `<td class="n">${num(t.tp, dp, 'none')}</td><td>${iso(t.exitTime)}</td><td class="n">${num(t.exitPrice, dp)}</td>` +
      `<td>${escapeHtml(t.exitReason)}</td><td class="n">${num(t.r, 2)}</td><td class="n">${num(rOf(t.mfeR), 2)}</td><td class="n">${num(rOf(t.maeR), 2)}</td><td class="n ${pl}">${money(t.profit)}</td>` +
      `<td>${escapeHtml(t.tradeType)}</td><td>${t.flags.map(escapeHtml).join(', ')}</td><td class="cm">${escapeHtml(t.comment)}</td></tr>`
    );
  });
  const body = r.trades.length === 0 ? '<p class="note">No trades.</p>' : `<table class="trades">${head}${rows.join('')}</table>`;
  const omitted = r.trades.length - Math.min(r.trades.length, maxRows);
  const more = omitted > 0 ? `<p class="note">The first ${count(maxRows)} trades are listed; ${count(omitted)} more are in trades.csv and report.json.</p>` : '';
  return `<section id="trades"><h2>Trades (${count(r.trades.length)})</h2><p class="note">Profit in ${escapeHtml(r.currency)}; a trade id links to its chart.</p>${body}${more}</section>`;
}

const LEGEND =
  '<p class="lg note">' +
  '<span><i class="sw" style="background:#dde6f2;height:10px"></i>high-low range</span>' +
  '<span><i class="sw" style="background:#24292f;height:2px"></i>close</span>' +
  '<span><i class="sw" style="background:#0969da;height:2px"></i>entry (&#9650; buy, <span style="color:#8250df">&#9660;</span> sell)</span>' +
  '<span><i class="sw" style="background:#1a7f37;height:2px"></i>TP</span>' +
  '<span><i class="sw" style="background:#cf222e"></i>stop (gap: no stop)</span>' +
  '<span style="color:#0969da">&#9679; breakeven</span><span style="color:#bf8700">&#9679; trail</span>' +
  '<span style="color:#8250df">&#9632; partial</span><span style="color:#e16f24">&#11042; DTMS</span><span>&#9670; exit</span></p>';

/** The charts section in pieces (one per trade chart): written as they are made, never held whole. */
function* chartsSection(r: ReplayReport, drawn: readonly TradeChart[], total: number, dp: number, anchors: readonly string[]): Generator<string> {
  const tradeIndex = new Map<string, number>();
  r.trades.forEach((t, i) => {
    if (!tradeIndex.has(t.positionId)) tradeIndex.set(t.positionId, i);
  });
  const omitted = total - drawn.length;
  const omittedNote =
    omitted > 0
      ? `<p class="note omitted"><strong>${count(drawn.length)} of ${count(total)} trades drawn: the first ${count(drawn.length)}</strong> (drawing more would make the page too heavy to open; trades.csv and report.json have every trade).</p>`
      : '';
  yield `<section id="charts"><h2>Trade charts (${count(drawn.length)} of ${count(total)})</h2>${omittedNote}${LEGEND}`;
  for (let i = 0; i < drawn.length; i++) {
    const ch = drawn[i]!;
    const ti = tradeIndex.get(ch.positionId);
    const t = ti === undefined ? undefined : r.trades[ti];
    const facts = t === undefined ? escapeHtml(ch.side) : `${escapeHtml(t.side)} ${volume(t.volume)}, ${escapeHtml(t.exitReason)}, R ${num(t.r, 2)}, profit ${money(t.profit)}`;
    const back = ti === undefined ? '' : ` <a href="#trade-${ti + 1}">row</a>`;
    yield `<details id="${anchors[i] ?? ''}"><summary>Trade <b>${escapeHtml(ch.positionId)}</b>: ${facts}${back}</summary>${tradeChartSvg(ch, dp)}</details>`;
  }
  yield '</section>';
}

// ---------------------------------------------------------------- page

/** The whole report page. Same inputs, same string. */
export function renderReportHtml(report: ReplayReport, charts: readonly TradeChart[], options?: ReportHtmlOptions): string {
  return [...reportHtmlPieces(report, charts, options)].join('');
}

/**
 * Writes the report page to `file` piece by piece (what renderReportHtml returns, byte for byte): a
 * 1M-bar replay's page is ~11 MB, mostly its trade charts, and is never held whole in memory.
 */
export function writeReportHtml(file: string, report: ReplayReport, charts: readonly TradeChart[], options?: ReportHtmlOptions): void {
  const fd = openSync(file, 'w');
  try {
    let pending = '';
    for (const piece of reportHtmlPieces(report, charts, options)) {
      pending += piece;
      if (pending.length >= WRITE_BATCH_CHARS) {
        writeSync(fd, pending);
        pending = '';
      }
    }
    if (pending.length > 0) writeSync(fd, pending);
  } finally {
    closeSync(fd);
  }
}

/** Characters gathered before one write(2). */
const WRITE_BATCH_CHARS = 1 << 20;

/** The page in order: the sections joined by newlines, the charts one piece each. */
function* reportHtmlPieces(report: ReplayReport, charts: readonly TradeChart[], options?: ReportHtmlOptions): Generator<string> {
  const max = options?.maxTradeCharts ?? DEFAULT_MAX_TRADE_CHARTS;
  if (Number.isNaN(max) || max < 0) throw new RangeError(`maxTradeCharts must be >= 0, got ${max}`);
  const drawn = charts.slice(0, Math.floor(max));
  const dp = priceDecimals(report.trades, drawn);
  // Anchors by position: a position id is free text and may not be a safe fragment.
  const anchors = drawn.map((_, i) => `chart-${i + 1}`);
  const anchorOf = new Map<string, string>();
  drawn.forEach((ch, i) => {
    if (!anchorOf.has(ch.positionId)) anchorOf.set(ch.positionId, anchors[i] ?? '');
  });
  yield [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">',
    `<title>Warden replay: ${escapeHtml(report.symbol)}</title>`,
    `<style>\n${CSS}\n</style></head><body>`,
    headerSection(report, report.trades.length),
    metricsSection(report),
    targetsSection(report),
    dtmsSection(report),
    equitySection(report),
    exitReasonSection(report),
    rHistogramSection(report),
    mfeSection(report),
    countsSection(report),
    gapsSection(report),
    tradesSection(report, dp, anchorOf, Math.max(0, Math.floor(options?.maxTradeRows ?? DEFAULT_MAX_TRADE_ROWS))),
    '',
  ].join('\n');
  // Out of every trade of the report: charts exist only for the ones the replay kept the stop path of.
  yield* chartsSection(report, drawn, Math.max(report.trades.length, charts.length), dp, anchors);
  yield [
    '',
    `<footer class="note"><p>Generated by ${escapeHtml(report.generatedBy)}. Times are UTC.</p></footer>`,
    `<script>${SCRIPT}</script>`,
    '</body></html>',
    '',
  ].join('\n');
}
