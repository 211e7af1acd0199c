// report.html's inline SVG: coordinates and paths written short (one decimal, relative moves), the
// plot box and its scales, and the value, price and time axes at round values and round UTC times.
import { fixed, validTime } from './reportFormat.ts';

const DAY_MS = 86_400_000;

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
export function c(v: number): string {
  return tenths(Math.round(v * 10));
}

/** Path through the points with relative moves, 1 decimal: about a third smaller than absolute
 * coordinates. Deltas are taken between rounded positions, so rounding never accumulates. */
export function compactPath(xs: readonly number[], ys: readonly number[], close: boolean): string {
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

/** Axis label: the date over long spans, month-day and minute over short ones (the date at midnight). */
function axisTime(t: number, step: number): string {
  if (!validTime(t)) return '';
  const s = new Date(t).toISOString();
  if (step >= DAY_MS) return step >= 7 * DAY_MS ? s.slice(0, 10) : s.slice(5, 10);
  return t % DAY_MS === 0 ? s.slice(5, 10) : s.slice(11, 16);
}

const MINUTE_MS = 60_000;
/** Time-axis steps; all of them below a day divide a day, so ticks fall on round UTC times. */
const TIME_STEPS = [
  1, 2, 5, 10, 15, 30, 60, 120, 180, 240, 360, 720, 1440, 2880, 10080, 20160, 40320, 80640, 161280, 322560,
].map((m) => m * MINUTE_MS);

/** Round values between lo and hi, at most `target` + 1 of them (1-2-5 steps). */
export function niceTicks(lo: number, hi: number, target: number): { ticks: number[]; step: number } {
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

export interface Box {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

export interface Scale {
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
export function range(min: number, max: number, pad: number, emptyHalf: number): [number, number] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [0, 1];
  if (max - min <= 0) {
    const half = Math.abs(min) * 1e-3 || emptyHalf;
    return [min - half, max + half];
  }
  const p = (max - min) * pad;
  return [min - p, max + p];
}

export function scale(box: Box, tMin: number, tMax: number, vMin: number, vMax: number): Scale {
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
export function valueAxis(s: Scale, ticks: number, label: (v: number) => string): string {
  let out = '';
  for (let i = 0; i < ticks; i++) {
    const v = s.vMin + ((s.vMax - s.vMin) * i) / (ticks - 1);
    const y = c(s.y(v));
    out += `<line class="grid" x1="${c(s.plotLeft)}" y1="${y}" x2="${c(s.plotRight)}" y2="${y}"/>`;
    out += `<text x="${c(s.plotLeft - 4)}" y="${y}" text-anchor="end" dy="4">${label(v)}</text>`;
  }
  return out;
}

/** Grid lines at round prices, labelled with the price decimals (more if the step needs them). */
export function priceAxis(s: Scale, target: number, dp: number): string {
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

/** Labels at round UTC times, about `target` of them. */
export function timeAxis(s: Scale, target: number): string {
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
