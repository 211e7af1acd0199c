// report.html's trade outcome sections: how the trades ended (P/L by exit reason), the realized R
// histogram, and the best move against what was kept (MFE scatter and its buckets).
import type { ReplayReport } from './reportModel.ts';
import { count, escapeHtml, fixed, money, num, pct, rOf, row } from './reportFormat.ts';
import { c, niceTicks, range, scale, type Box } from './reportSvg.ts';

/** P/L by exit reason: how the trades ended, and what each way of ending made. */
export function exitReasonSection(r: ReplayReport): string {
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
    const k =
      x < HIST_LO
        ? 0
        : x >= HIST_HI
          ? inner + 1
          : 1 + Math.min(inner - 1, Math.floor((x - HIST_LO) / HIST_STEP + 1e-9));
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
    const label =
      k === 0
        ? `below ${fixed(HIST_LO, 2)} R`
        : k === inner + 1
          ? `${fixed(HIST_HI, 2)} R and above`
          : `${fixed(from, 2)} to ${fixed(to, 2)} R`;
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

export function rHistogramSection(r: ReplayReport): string {
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
  for (const e of seen.values())
    out += `<circle class="${e.pos ? 'dp' : 'dn'}" cx="${e.x}" cy="${e.y}" r="2.5"><title>${count(e.n)} trade${e.n === 1 ? '' : 's'}</title></circle>`;
  out += `<text x="${c((s.plotLeft + s.plotRight) / 2)}" y="${c(s.plotBottom + 31)}" text-anchor="middle">MFE (R): the furthest the price went in the trade's favour</text>`;
  out += `<text transform="rotate(-90)" x="${c(-(s.plotTop + s.plotBottom) / 2)}" y="12" text-anchor="middle">realized R</text>`;
  return `${out}</svg>`;
}

export function mfeSection(r: ReplayReport): string {
  const pts: [number, number][] = [];
  for (const t of r.trades) {
    const mfe = rOf(t.mfeR);
    const x = rOf(t.r);
    if (mfe !== null && x !== null) pts.push([mfe, x]);
  }
  const head = '<section id="mfe"><h2>MFE against realized R</h2>';
  if (pts.length === 0)
    return `${head}<p class="note">No trade with an initial stop and an MFE: nothing to show.</p></section>`;
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
