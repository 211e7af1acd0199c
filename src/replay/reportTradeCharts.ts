// report.html's trade charts: per charted trade, its price around the trade (high-low band and close),
// entry, target, stop path and events, one collapsible chart each, written piece by piece.
import type { ReplayReport, TradeChart } from './reportModel.ts';
import { count, escapeHtml, fixed, iso, money, num, validTime, volume } from './reportFormat.ts';
import { c, compactPath, priceAxis, range, scale, timeAxis, type Box } from './reportSvg.ts';

const TRADE_BOX: Box = { width: 800, height: 240, left: 70, right: 10, top: 10, bottom: 22 };

// biome-ignore lint/complexity/noExcessiveCognitiveComplexity: a long function from before the limit; split it when it is next changed
// biome-ignore lint/complexity/noExcessiveLinesPerFunction: a long function from before the limit; split it when it is next changed
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
    parts.push(
      `<path class="cl" d="${compactPath(
        xs,
        idx.map((i) => s.y(ch.close[i] ?? 0)),
        false,
      )}"/>`,
    );
  }

  const hLine = (cls: string, v: number, title: string): string => {
    const y = c(s.y(v));
    return `<line class="${cls}" x1="${c(s.plotLeft)}" y1="${y}" x2="${c(s.plotRight)}" y2="${y}"><title>${title}</title></line>`;
  };
  if (ch.tp !== null && Number.isFinite(ch.tp)) {
    parts.push(hLine('tp', ch.tp, `TP ${fixed(ch.tp, dp)}`));
    parts.push(
      `<text class="tpl" x="${c(s.plotRight - 2)}" y="${c(s.y(ch.tp) - 3)}" text-anchor="end">TP ${fixed(ch.tp, dp)}</text>`,
    );
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
        parts.push(
          `<polygon class="ex" points="${c(x)},${c(y - 6)} ${c(x + 6)},${c(y)} ${c(x)},${c(y + 6)} ${c(x - 6)},${c(y)}">${title}</polygon>`,
        );
    }
  }
  parts.push(timeAxis(s, 6), '</svg>');
  return parts.join('');
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
export function* chartsSection(
  r: ReplayReport,
  drawn: readonly TradeChart[],
  total: number,
  dp: number,
  anchors: readonly string[],
): Generator<string> {
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
    const facts =
      t === undefined
        ? escapeHtml(ch.side)
        : `${escapeHtml(t.side)} ${volume(t.volume)}, ${escapeHtml(t.exitReason)}, R ${num(t.r, 2)}, profit ${money(t.profit)}`;
    const back = ti === undefined ? '' : ` <a href="#trade-${ti + 1}">row</a>`;
    yield `<details id="${anchors[i] ?? ''}"><summary>Trade <b>${escapeHtml(ch.positionId)}</b>: ${facts}${back}</summary>${tradeChartSvg(ch, dp)}</details>`;
  }
  yield '</section>';
}
