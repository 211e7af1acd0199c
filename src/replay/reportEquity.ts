// report.html's equity curve: the realized balance after each close, from the starting balance at the
// start of the data, downsampled to at most MAX_EQUITY_POINTS keeping every bucket's trough and peak.
import type { ReplayReport } from './reportModel.ts';
import { count, escapeHtml, money, validTime } from './reportFormat.ts';
import { c, range, scale, timeAxis, valueAxis, type Box } from './reportSvg.ts';

/** Equity points drawn at most; longer curves keep each bucket's min and max. */
export const MAX_EQUITY_POINTS = 2000;

/**
 * At most `maxPoints` points: the first and last, and for each index bucket in between its minimum
 * and maximum in time order, so every drawdown's trough and every peak survives.
 */
export function downsampleMinMax(
  points: readonly (readonly [number, number])[],
  maxPoints: number,
): [number, number][] {
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
  if (curve.length === 0 && validTime(report.data.last) && report.data.last > startTime)
    all.push([report.data.last, report.startingBalance]);
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

export function equitySection(r: ReplayReport): string {
  const note =
    r.equity.length === 0 ? '<p class="note">No closed trade: the curve stays at the starting balance.</p>' : '';
  const cut =
    r.equity.length + 1 > MAX_EQUITY_POINTS
      ? ` <span class="note">(${count(r.equity.length + 1)} points, drawn as at most ${count(MAX_EQUITY_POINTS)}: each stretch keeps its low and high)</span>`
      : '';
  return `<section id="equity"><h2>Realized equity (${escapeHtml(r.currency)})${cut}</h2>${note}${equitySvg(r)}</section>`;
}
