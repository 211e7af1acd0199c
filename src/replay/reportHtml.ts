// report.html: a replay's report as ONE self-contained page (inline CSS, inline SVG, no external
// URL) that a trader can open from disk, mail or archive. Deterministic: the same inputs give the
// same bytes, so two reports can be diffed and a stored report can be checked against a rerun.
// The page's sections are made in reportSummary.ts, reportEquity.ts, reportOutcomes.ts and
// reportTradeCharts.ts, on reportFormat.ts's text and reportSvg.ts's chart geometry.
import { closeSync, openSync, writeSync } from 'node:fs';
import { escapeHtml, priceDecimals } from './reportFormat.ts';
import { equitySection } from './reportEquity.ts';
import type { ReplayReport, TradeChart } from './reportModel.ts';
import { exitReasonSection, mfeSection, rHistogramSection } from './reportOutcomes.ts';
import {
  countsSection,
  dtmsSection,
  gapsSection,
  headerSection,
  metricsSection,
  targetsSection,
  tradesSection,
} from './reportSummary.ts';
import { chartsSection } from './reportTradeCharts.ts';

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

/** The whole report page. Same inputs, same string. */
export function renderReportHtml(
  report: ReplayReport,
  charts: readonly TradeChart[],
  options?: ReportHtmlOptions,
): string {
  return [...reportHtmlPieces(report, charts, options)].join('');
}

/**
 * Writes the report page to `file` piece by piece (what renderReportHtml returns, byte for byte): a
 * 1M-bar replay's page is ~11 MB, mostly its trade charts, and is never held whole in memory.
 */
export function writeReportHtml(
  file: string,
  report: ReplayReport,
  charts: readonly TradeChart[],
  options?: ReportHtmlOptions,
): void {
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
function* reportHtmlPieces(
  report: ReplayReport,
  charts: readonly TradeChart[],
  options?: ReportHtmlOptions,
): Generator<string> {
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
